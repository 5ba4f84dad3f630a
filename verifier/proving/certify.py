"""Certified UNSAT answers (issue 11): the SAT solver's clausal proof, checked
inside tcverify by a different engine.

CaDiCaL (through python-sat, `with_proof=True`) writes a DRUP proof: lines of
added lemmas `l1 .. lk 0` and deletions `d l1 .. lk 0`, ending in the empty
clause `0`. The check is a forward RUP check (Goldberg and Novikov 2003;
DRUP as in Heule, Hunt and Wetzler 2013): every added lemma must be a
reverse-unit-propagation consequence of the formula and the lemmas before it
(assigning the negation of its literals and propagating reaches a conflict),
and the proof must contain the empty clause, checked the same way. Deletions
are ignored, which is sound (the check only keeps more implied clauses).
Propagation is MiniSat 2.2's (`minisat22` in python-sat, `propagate()`), not
the solver that wrote the proof. Every doubt rejects: a malformed line, a lemma
that is not RUP, a missing empty clause.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Optional

from ..errors import InternalError, UserError
from ..exporters.dimacs import write_dimacs
from .solver import Engine

CERTIFYING_SOLVERS = ("cadical300", "cadical195", "cadical153")  # whose python-sat proofs are DRUP that checks
CHECKER = "minisat22"
DEADLINE_EVERY = 256  # lemmas checked between looks at the clock


class ProofRejected(InternalError):
    """A proof that does not check: a bug in the solver or in tcverify, never a verdict."""


@dataclass
class ProofCheck:
    lemmas: int  # added lemmas, the empty clause included
    deletions: int
    time_s: float


def check_certifying_solver(solver: str):
    if solver not in CERTIFYING_SOLVERS:
        raise UserError(f"cannot certify with {solver!r}: its proofs are not checked; use one of "
                        f"{', '.join(CERTIFYING_SOLVERS)}", key="solver")


def parse_proof(lines) -> tuple:
    """(added lemmas as int lists, number of deletions) of DRUP text lines."""
    lemmas, deletions = [], 0
    for number, line in enumerate(lines, 1):
        words = line.split()
        if not words or words[0] == "c":
            continue
        deleted = words[0] == "d"
        try:
            lits = [int(word) for word in words[deleted:]]
        except ValueError:
            raise ProofRejected(f"proof line {number} is not a clause: {line!r}") from None
        if not lits or lits[-1] != 0 or 0 in lits[:-1]:
            raise ProofRejected(f"proof line {number} does not end in one 0: {line!r}")
        if deleted:
            deletions += 1
        else:
            lemmas.append(lits[:-1])
    return lemmas, deletions


def check_unsat_proof(clauses, proof_lines, deadline: Optional[float] = None) -> Optional[ProofCheck]:
    """Check that `proof_lines` (DRUP) refute `clauses`; raise ProofRejected if
    not. None once the `deadline` (time.monotonic() value) has passed."""
    start = time.monotonic()
    lemmas, deletions = parse_proof(proof_lines)
    top = max((abs(lit) for clause in (*clauses, *lemmas) for lit in clause), default=1)
    with Engine(CHECKER) as engine:
        engine.add_clause([top, -top])  # declares every variable
        for clause in clauses:
            engine.add_clause(clause)
        for k, lemma in enumerate(lemmas, 1):
            if deadline is not None and k % DEADLINE_EVERY == 0 and time.monotonic() >= deadline:
                return None
            if not engine.propagate([-lit for lit in lemma]):
                raise ProofRejected(f"proof lemma {k} of {len(lemmas)} is not RUP: {' '.join(map(str, lemma))} 0")
            if not lemma:
                return ProofCheck(k, deletions, time.monotonic() - start)
            engine.add_clause(lemma)
    raise ProofRejected(f"the proof's {len(lemmas)} lemmas do not include the empty clause")


def certify_unsat(cnf, proof_lines, options, case_path: str, n: int, deadline: Optional[float] = None) -> Optional[ProofCheck]:
    """The certify stage of an UNSAT length (`options`: `CertifyOptions`): its
    miter CNF and proof written to `options.proof_dir` when given, then the
    proof checked (`check_unsat_proof`)."""
    if options.proof_dir:
        write_proof(options.proof_dir, case_path, n, cnf, proof_lines)
    return check_unsat_proof(cnf.clauses, proof_lines, deadline)


def proof_files(proof_dir: str, case_path: str, n: int) -> tuple:
    """(DIMACS path, DRAT path) for one case file and length in `proof_dir`."""
    stem = os.path.splitext(os.path.basename(case_path))[0]
    base = os.path.join(proof_dir, f"{stem}-n{n}")
    return base + ".cnf", base + ".drat"


def write_proof(proof_dir: str, case_path: str, n: int, cnf, proof_lines):
    """The miter CNF (DIMACS) and its proof (DRAT text) for an external checker."""
    cnf_path, proof_path = proof_files(proof_dir, case_path, n)
    try:
        os.makedirs(proof_dir, exist_ok=True)
        with open(cnf_path, "w") as handle:
            write_dimacs(handle, cnf.clauses, cnf.nvars, cnf.input_lits, case_path, n)
        with open(proof_path, "w") as handle:
            handle.writelines(line + "\n" for line in proof_lines)
    except OSError as exc:
        raise UserError(f"cannot write the proof files: {exc.strerror}", proof_dir, "proof_dir") from None
