"""The miter as DIMACS for external solvers (`tcverify cnf`) and the decoding of
their answers (`tcverify decode`). Comment lines carry what decoding needs:

    c tcverify case /abs/path/case.yaml
    c tcverify length 8
    c tcverify input 3 1 17      (variable 17 is 1 iff w_3 = "1")
"""

from __future__ import annotations

from ..kinds.case import load_case
from ..encodings.cnf import EncodingOptions
from ..errors import UserError
from ..proving.miter import build_miter, decode_word, miter_cnf
from ..proving.prove import replay


def write_miter(case_path: str, n: int, output: str, options: EncodingOptions) -> dict:
    case = load_case(case_path)
    if n not in case.lengths:
        raise UserError(f"length {n} is not among the case's lengths {list(case.lengths)}", case_path, "--length")
    miter = build_miter(case, n)
    cnf = miter_cnf(miter, options)
    try:
        with open(output, "w") as handle:
            cnf.write_dimacs(handle, case_path, n)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", output) from None
    return {"variables": cnf.nvars, "clauses": len(cnf.clauses)}


def read_header(cnf_path: str):
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


def decode_answer(cnf_path: str, answer: str):
    """(message, exit code): 0 for UNSAT (equivalent at that length), 1 for a replayed counterexample."""
    case_path, n, inputs = read_header(cnf_path)
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    if any(line.startswith("s UNSAT") or line == "UNSAT" for line in lines):
        return f"UNSAT: the models agree on every string of length {n}", 0
    true = set()
    for line in lines:
        if line.startswith(("c", "s")):
            continue
        values = line[1:].split() if line.startswith("v") else line.split()
        try:
            true.update(int(v) for v in values if int(v) > 0)
        except ValueError:
            raise UserError(f"not a solver model line: {line[:40]!r}", "model") from None
    case = load_case(case_path)
    try:
        word = decode_word(true, inputs, case.alphabet, n)
    except ValueError as exc:
        raise UserError(f"{exc}: not a model of this CNF", "model") from None
    cex = replay(case, word)
    return f"counterexample of length {n}: {','.join(word)}  left {cex['left']}  right {cex['right']}", 1
