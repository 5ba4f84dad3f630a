"""A miter's CNF as DIMACS for external solvers (`tcverify cnf`, `--proof-dir`),
and the reading back of the file's comment lines and of a solver's answer
(`tcverify decode`). The comment lines carry what decoding needs:

    c tcverify case /abs/path/case.yaml
    c tcverify length 8
    c tcverify input 3 1 17      (variable 17 is 1 iff w_3 = "1")
"""

from __future__ import annotations

import os
from typing import Optional

from ..errors import UserError


def write_dimacs(handle, clauses, nvars: int, input_lits: dict, case_path: str, n: int):
    """DIMACS with comment lines naming the case, the length and the input
    variables (`input_lits`: (position, symbol) -> variable)."""
    handle.write(f"c tcverify miter: satisfiable iff a string of length {n} separates the models\n")
    handle.write(f"c tcverify case {os.path.abspath(case_path)}\n")
    handle.write(f"c tcverify length {n}\n")
    for (i, a), var in sorted(input_lits.items(), key=lambda item: item[1]):
        handle.write(f"c tcverify input {i} {a} {var}\n")
    handle.write(f"p cnf {nvars} {len(clauses)}\n")
    for clause in clauses:
        handle.write(" ".join(map(str, clause)) + " 0\n")


def read_header(cnf_path: str):
    """(case path, length, {(position, symbol): variable}) from the comment lines."""
    case_path, n, inputs = None, None, {}
    try:
        with open(cnf_path) as handle:
            for line in handle:
                if not line.startswith("c tcverify "):
                    if line.startswith("p "):
                        break
                    continue
                words = line.split()
                if words[2] == "case":
                    case_path = line.split(" case ", 1)[1].strip()
                elif words[2] == "length":
                    n = int(words[3])
                elif words[2] == "input":
                    inputs[int(words[3]), words[4]] = int(words[5])
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", cnf_path) from None
    if case_path is None or n is None:
        raise UserError("not a CNF written by `tcverify cnf` (no 'c tcverify case/length' lines)", cnf_path)
    return case_path, n, inputs


def read_answer(answer: str) -> Optional[set]:
    """The variables a solver's answer (SAT competition output, or bare model
    lines) sets true; None when it says UNSAT."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if any(line.startswith("s UNSAT") or line == "UNSAT" for line in lines):
        return None
    true = set()
    for line in lines:
        if line.startswith(("c", "s")):
            continue
        values = line[1:].split() if line.startswith("v") else line.split()
        try:
            true.update(int(v) for v in values if int(v) > 0)
        except ValueError:
            raise UserError(f"not a solver model line: {line[:40]!r}", "model") from None
    return true
