"""Deciding a case: for each length, shortest first, either an exhaustive check
of every string by the batch evaluator (where that is estimated cheaper,
`exhaustive.py`) or a cheap sampling pass with the batch evaluator and then the
SAT miter; every counterexample is replayed on the exact evaluators before it
is reported (spec section 6)."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Callable, Literal, Optional

import numpy as np

from ..casefile.limits import MAX_LENGTH
from ..kinds.case import check_size
from ..kinds.case import load_case
from ..core.models import Case
from ..encodings.cnf import EncodingOptions
from ..errors import InternalError, UserError
from ..kinds import run
from . import certify, exhaustive
from .miter import build_miter, miter_cnf
from .solver import DEFAULT_SOLVER, solve
from .sweeping import Sweeper

ENUMERATE_UP_TO = 4096  # strings per length checked exhaustively by the sampling pass
RANDOM_SAMPLES = 512  # strings per length otherwise
EASY_CONFLICTS = 10_000  # a miter the solver decides within this many conflicts is not swept
SWEEP_SHARE = 1.0  # sweeping may take this many times as long as that budgeted attempt took,
SWEEP_MIN_S = 1.0  # or this many seconds if that is more
METHODS = ("auto", "sat", "exhaustive")

LengthStatus = Literal["equivalent", "counterexample", "unknown"]
Method = Literal["sat", "exhaustive", "sampling", "trivial", "timeout"]  # how the length was decided ("timeout": not reached)
Verdict = Literal["equivalent", "counterexample", "unknown", "error"]


@dataclass
class ProveOptions:
    solver: str = DEFAULT_SOLVER
    encoding: EncodingOptions = field(default_factory=EncodingOptions)
    timeout: Optional[float] = None  # seconds per case
    sample: bool = True  # the batch-evaluator pass before SAT
    seed: int = 0
    overrides: tuple = ()  # `--set` pairs (keys, value)
    max_length: int = MAX_LENGTH  # the size guard on lengths (casefile/limits.py)
    sweep: bool = True  # SAT sweeping of the miter before the final solve (sweeping.py)
    method: str = "auto"  # how an `equivalent` is proved: see `length_method`
    certify: bool = False  # check the proof of every UNSAT length (certify.py)
    proof_dir: Optional[str] = None  # with certify: write each length's CNF and proof here
    rewrite: bool = True  # linear forms stay linear in the transformer lowering


@dataclass
class LengthResult:
    n: int
    status: LengthStatus
    method: Method
    time_s: float
    variables: int = 0
    clauses: int = 0
    reason: Optional[str] = None  # why an unknown: "timeout" | "memory" | "interrupted"
    conflicts: int = 0  # the solver's conflicts on this length (with sweeping's)
    merged: int = 0  # miter nodes merged by SAT sweeping
    sweep_s: float = 0.0  # time spent sweeping
    certified: bool = False  # checked apart from the SAT solver: replayed, enumerated or a checked proof
    proof_lemmas: int = 0  # with --certify: lemmas of the checked proof
    check_time_s: float = 0.0


@dataclass
class CaseResult:
    case: str  # the path as given
    name: str
    verdict: Verdict
    expect: Optional[str]
    lengths: list = field(default_factory=list)  # the lengths decided
    time_s: float = 0.0
    counterexample: Optional[dict] = None
    message: Optional[str] = None
    per_length: list = field(default_factory=list)
    reason: Optional[str] = None  # why an unknown: "timeout" | "memory" | "interrupted"

    @classmethod
    def error(cls, path: str, message: str, time_s: float = 0.0) -> "CaseResult":
        """The result of a case that could not be decided: bad input (exit 2)."""
        return cls(path, path, "error", None, time_s=time_s, message=message)

    @property
    def ok(self) -> bool:
        return self.verdict == (self.expect or "equivalent")

    def exit_code(self) -> int:
        """This case's contribution to prove's exit status (spec section 6)."""
        if self.verdict == "error":
            return 2
        if self.verdict == "unknown":
            return 3
        return 0 if self.ok else 1

    def to_json(self) -> dict:
        out = {"case": self.case, "name": self.name, "verdict": self.verdict,
               "expect": self.expect or "equivalent", "ok": self.ok,
               "lengths": self.lengths, "time_s": round(self.time_s, 3)}
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample
        if self.message:
            out["message"] = self.message
        if self.reason:
            out["reason"] = self.reason
        out["per_length"] = [vars(r) | {"time_s": round(r.time_s, 3), "check_time_s": round(r.check_time_s, 3)}
                             for r in self.per_length]
        return out


def overall_exit(results) -> int:
    """2 for an error, else 1 for an unexpected outcome, else 3 for unknown, else 0."""
    codes = {r.exit_code() for r in results}
    for code in (2, 1, 3):
        if code in codes:
            return code
    return 0


def prove_path(path: str, options: ProveOptions = ProveOptions(), on_length: Callable = None) -> CaseResult:
    """Load and decide one case file; input errors become an `error` result."""
    start = time.monotonic()
    try:
        case = load_case(path, overrides=options.overrides)
        check_size(case, options.max_length)
    except UserError as exc:
        return CaseResult.error(path, str(exc), time.monotonic() - start)
    return prove_case(case, options, on_length, label=path)


def prove_case(case: Case, options: ProveOptions = ProveOptions(), on_length: Callable = None,
               label: Optional[str] = None) -> CaseResult:
    """Decide the lengths in increasing order in this process; stop at the first
    counterexample. The time limit is checked between lengths and inside the
    solver only (`schedule` bounds a whole case by running it in a child process)."""
    start = time.monotonic()
    deadline = start + options.timeout if options.timeout else None
    return assemble(case.name, case.expect, label or case.path,
                    decide_lengths(case, case.lengths, options, deadline), start, on_length)


def decide_lengths(case: Case, lengths, options: ProveOptions, deadline=None):
    """(LengthResult, replayed counterexample or None) for `lengths` in order,
    until the first one that is not equivalent."""
    for n in lengths:
        if deadline is not None and time.monotonic() >= deadline:
            yield LengthResult(n, "unknown", "timeout", 0.0, reason="timeout"), None
            return
        outcome, word = decide_length(case, n, options, deadline)
        yield outcome, (replay(case, word) if word is not None else None)
        if outcome.status != "equivalent":
            return


def assemble(name: str, expect: Optional[str], label: str, outcomes, start: float,
             on_length: Callable = None) -> CaseResult:
    """The case's result from its lengths' outcomes (LengthResult, replayed
    counterexample), in increasing order of length, until the first that is
    not equivalent; a UserError raised while deciding makes it an `error`."""
    result = CaseResult(label, name, "equivalent", expect)
    try:
        for outcome, counterexample in outcomes:
            result.per_length.append(outcome)
            if on_length is not None:
                on_length(name, outcome)
            if outcome.status == "unknown":
                result.verdict, result.reason = "unknown", outcome.reason
                break
            result.lengths.append(outcome.n)
            if outcome.status == "counterexample":
                result.verdict, result.counterexample = "counterexample", counterexample
                break
    except UserError as exc:
        result.verdict, result.message = "error", str(exc)
    result.time_s = time.monotonic() - start
    return result


def decide_length(case: Case, n: int, options: ProveOptions, deadline=None):
    """(LengthResult, counterexample word or None) for one length. The sampling
    pass is seeded by (seed, n), so any schedule of lengths finds the same strings."""
    start = time.monotonic()
    if options.certify:
        certify.check_certifying_solver(options.solver)
    if length_method(case, n, options) == "exhaustive":
        return enumerate_length(case, n, deadline, start)
    if options.sample:
        word = sample_disagreement(case, n, np.random.default_rng([options.seed, n]))
        if word is not None:
            return LengthResult(n, "counterexample", "sampling", time.monotonic() - start, certified=True), word
    miter = build_miter(case, n, rewrite=options.rewrite)
    trivial = miter.circuit.const_value(miter.diff)
    if trivial == 0:
        return LengthResult(n, "equivalent", "trivial", time.monotonic() - start), None
    if _should_sweep(options):
        return sweep_and_solve(case, n, miter, options, deadline, start)
    cnf = miter_cnf(miter, options.encoding)
    answer = solve(cnf.clauses, options.solver, deadline, proof=options.certify)
    return sat_outcome(case, n, cnf, answer, options, start, deadline)


def sweep_and_solve(case: Case, n: int, miter, options: ProveOptions, deadline, start: float):
    """Length n on one incremental solver (`sweeping.Sweeper`): the miter within
    `EASY_CONFLICTS` conflicts; failing that, SAT sweeping for at most
    `SWEEP_SHARE` times as long as that attempt took (or `SWEEP_MIN_S`), then
    the miter again on the same solver (it keeps its learnt clauses and gains
    the proved equalities)."""
    with Sweeper(miter, options.encoding, options.solver) as sweeper:
        answer = sweeper.solve_diff(deadline, EASY_CONFLICTS)
        swept = {}
        if answer.status == "unknown" and not (deadline is not None and time.monotonic() >= deadline):
            result = sweeper.sweep(options.seed, deadline, time_limit=max(SWEEP_MIN_S, SWEEP_SHARE * answer.time_s))
            swept = dict(merged=result.merged, sweep_s=round(result.time_s, 3))
            if result.counterexample is not None:
                method = "sampling" if result.found_by == "simulation" else "sat"
                return (LengthResult(n, "counterexample", method, time.monotonic() - start, certified=True,
                                     conflicts=sweeper.conflicts(), **swept), result.counterexample)
            if result.miter.circuit.const_value(result.miter.diff) == 0:
                return LengthResult(n, "equivalent", "sat", time.monotonic() - start, conflicts=sweeper.conflicts(), **swept), None
            answer = sweeper.solve_diff(deadline)
        answer.conflicts = sweeper.conflicts()
        return sat_outcome(case, n, sweeper.cnf, answer, options, start, deadline, **swept)


def sat_outcome(case: Case, n: int, cnf, answer, options: ProveOptions, start: float, deadline=None, **swept):
    """The LengthResult (and counterexample word) of the solver's `answer` on `cnf`."""
    stats = dict(variables=cnf.nvars, clauses=len(cnf.clauses), conflicts=answer.conflicts, **swept)
    if answer.status == "sat":
        return (LengthResult(n, "counterexample", "sat", time.monotonic() - start, certified=True, **stats),
                cnf.decode(answer.model, case.alphabet, n))
    status = "equivalent" if answer.status == "unsat" else "unknown"
    if answer.status == "unsat" and options.certify:
        if options.proof_dir:
            certify.write_proof(options.proof_dir, case.path, n, cnf, answer.proof)
        check = certify.check_unsat_proof(cnf.clauses, answer.proof, deadline)  # ProofRejected if it fails
        if check is None:
            status = "unknown"  # out of time before the proof was checked
        else:
            stats |= dict(certified=True, proof_lemmas=check.lemmas, check_time_s=check.time_s)
    return LengthResult(n, status, "sat", time.monotonic() - start, **stats,
                        reason="timeout" if status == "unknown" else None), None


def length_method(case: Case, n: int, options: ProveOptions) -> str:
    """"exhaustive" or "sat" for length n. `exhaustive` always enumerates; `sat`
    (and `auto` without the batch evaluator, `sample=False`) never does; `auto`
    enumerates when the estimated enumeration time is at most the SAT path's
    (`exhaustive.enumeration_seconds`, `exhaustive.sat_seconds`: from the
    models' shapes alone, before anything is lowered)."""
    if options.method == "exhaustive":
        exhaustive.check_enumerable(case, n)
        return "exhaustive"
    if options.method == "sat" or not options.sample or exhaustive.string_count(case, n) > exhaustive.EXHAUSTIVE_MAX_STRINGS:
        return "sat"
    return "exhaustive" if exhaustive.enumeration_seconds(case, n) <= exhaustive.sat_seconds(case, n) else "sat"


def enumerate_length(case: Case, n: int, deadline, start: float):
    status, word = exhaustive.enumerate_length(case, n, deadline)
    return LengthResult(n, status, "exhaustive", time.monotonic() - start, certified=status != "unknown",
                        reason="timeout" if status == "unknown" else None), word


def _should_sweep(options: ProveOptions) -> bool:
    """The one place that decides whether a length's miter may be swept (only
    after the solver failed to decide it within `EASY_CONFLICTS`, so easy
    miters pay nothing; docs/sweeping.md): not when turned off (`--no-sweep`).
    A length whose verdict is certified by a DRUP proof must not be swept
    either (the proof is about the exact miter CNF), so `--certify` turns it off."""
    return options.sweep and not options.certify


def all_words(alphabet_size: int, n: int) -> np.ndarray:
    return np.array(list(itertools.product(range(alphabet_size), repeat=n)), dtype=np.int64).reshape(alphabet_size ** n, n)


def sample_disagreement(case: Case, n: int, rng) -> Optional[list]:
    """A string of length n on which the batch evaluators disagree: all strings
    when there are few, else random ones plus the constant strings."""
    k = len(case.alphabet)
    if k ** n <= ENUMERATE_UP_TO:
        words = all_words(k, n)
    else:
        constant = np.repeat(np.arange(k)[:, None], n, axis=1)
        words = np.concatenate([constant, rng.integers(0, k, size=(RANDOM_SAMPLES, n))])
    return exhaustive.first_disagreement(case, words)


def replay(case: Case, word: list) -> dict:
    """Both models' bits on `word` by the exact evaluators; they must differ."""
    left = run(case.left, word, case.alphabet, case.outputs)
    right = run(case.right, word, case.alphabet, case.outputs)
    if left == right:
        raise InternalError(f"{case.path}: counterexample {','.join(word)!r} does not replay: "
                            f"both models give {left} (a bug in tcverify's lowering or encoding)")
    return {"input": list(word), "length": len(word), "left": left, "right": right}
