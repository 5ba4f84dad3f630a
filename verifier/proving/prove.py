"""Deciding a case: for each length, shortest first, either an exhaustive check
of every string by the batch evaluator (where that is estimated cheaper,
`exhaustive.py`) or a cheap sampling pass with the batch evaluator and then the
SAT miter; every counterexample is replayed on the exact evaluators before it
is reported (spec section 6)."""

from __future__ import annotations

import functools
import itertools
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..casefile.loader import load_case
from ..casefile.models import Case
from ..encodings.cnf import EncodingOptions
from ..errors import InternalError, UserError
from ..semantics import evaluate
from . import certify, exhaustive
from .miter import build_miter, miter_cnf
from .solver import DEFAULT_SOLVER, solve
from .sweeping import Sweeper

ENUMERATE_UP_TO = 4096  # strings per length checked exhaustively by the sampling pass
RANDOM_SAMPLES = 512  # strings per length otherwise
EASY_CONFLICTS = 10_000  # a miter the solver decides within this many conflicts is not swept
METHODS = ("auto", "sat", "exhaustive")


@dataclass
class ProveOptions:
    solver: str = DEFAULT_SOLVER
    encoding: EncodingOptions = field(default_factory=EncodingOptions)
    timeout: Optional[float] = None  # seconds per case
    sample: bool = True  # the batch-evaluator pass before SAT
    seed: int = 0
    overrides: tuple = ()  # `--set` pairs (keys, value)
    sweep: bool = True  # SAT sweeping of the miter before the final solve (sweeping.py)
    method: str = "auto"  # how an `equivalent` is proved: see `length_method`
    certify: bool = False  # check the proof of every UNSAT length (certify.py)
    proof_dir: Optional[str] = None  # with certify: write each length's CNF and proof here
    rewrite: bool = True  # linear forms stay linear in the transformer lowering


@dataclass
class LengthResult:
    n: int
    status: str  # "equivalent" | "counterexample" | "unknown"
    method: str  # "sat" | "exhaustive" | "sampling" | "trivial" | "timeout"
    time_s: float
    variables: int = 0
    clauses: int = 0
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
    verdict: str  # equivalent | counterexample | unknown | error
    expect: Optional[str]
    lengths: list = field(default_factory=list)  # the lengths decided
    time_s: float = 0.0
    counterexample: Optional[dict] = None
    message: Optional[str] = None
    per_length: list = field(default_factory=list)

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
    except UserError as exc:
        return CaseResult(path, path, "error", None, time_s=time.monotonic() - start, message=str(exc))
    return prove_case(case, options, on_length, label=path)


def prove_case(case: Case, options: ProveOptions = ProveOptions(), on_length: Callable = None,
               label: Optional[str] = None) -> CaseResult:
    """Decide the lengths in increasing order; stop at the first counterexample."""
    start = time.monotonic()
    deadline = start + options.timeout if options.timeout else None

    def outcomes():
        for n in case.lengths:
            if deadline is not None and time.monotonic() >= deadline:
                yield LengthResult(n, "unknown", "timeout", 0.0), None
                return
            yield decide_length(case, n, options, deadline)

    return assemble(case, label or case.path, outcomes(), start, on_length)


def assemble(case: Case, label: str, outcomes, start: float, on_length: Callable = None) -> CaseResult:
    """The case's result from its lengths' outcomes, taken in increasing order of
    length until the first counterexample or unknown; counterexamples are replayed."""
    result = CaseResult(label, case.name, "equivalent", case.expect)
    try:
        for outcome, word in outcomes:
            if isinstance(outcome, UserError):  # from a worker process
                raise outcome
            result.per_length.append(outcome)
            if on_length is not None:
                on_length(case, outcome)
            if outcome.status == "unknown":
                result.verdict = "unknown"
                break
            result.lengths.append(outcome.n)
            if outcome.status == "counterexample":
                result.verdict = "counterexample"
                result.counterexample = replay(case, word)
                break
    except UserError as exc:
        result.verdict, result.message = "error", str(exc)
    result.time_s = time.monotonic() - start
    return result


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, overrides: tuple) -> Case:
    return load_case(path, overrides=overrides, warn=lambda message: None)


def decide_unit(path: str, n: int, options: ProveOptions):
    """One (case file, length) in a worker process (`prove --jobs`): the case's
    time limit applies to each length here. UserErrors come back as values."""
    try:
        case = _load_cached(path, options.overrides)
        deadline = time.monotonic() + options.timeout if options.timeout else None
        return decide_length(case, n, options, deadline)
    except UserError as exc:
        return exc, None


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
    if length_method(case, n, options, miter) == "exhaustive":
        return enumerate_length(case, n, deadline, start)
    if _should_sweep(options):
        return sweep_and_solve(case, n, miter, options, deadline, start)
    cnf = miter_cnf(miter, options.encoding)
    answer = solve(cnf.clauses, options.solver, deadline, proof=options.certify)
    return sat_outcome(case, n, cnf, answer, options, start)


def sweep_and_solve(case: Case, n: int, miter, options: ProveOptions, deadline, start: float):
    """Length n on one incremental solver (`sweeping.Sweeper`): the miter within
    `EASY_CONFLICTS` conflicts; failing that, SAT sweeping, then the miter again
    on the same solver (it keeps its learnt clauses and the proved equalities)."""
    with Sweeper(miter, options.encoding, options.solver) as sweeper:
        answer = sweeper.solve_diff(deadline, EASY_CONFLICTS)
        swept = {}
        if answer.status == "unknown" and not (deadline is not None and time.monotonic() >= deadline):
            result = sweeper.sweep(options.seed, deadline)
            swept = dict(merged=result.merged, sweep_s=round(result.time_s, 3))
            if result.counterexample is not None:
                method = "sampling" if result.found_by == "simulation" else "sat"
                return (LengthResult(n, "counterexample", method, time.monotonic() - start, certified=True,
                                     conflicts=sweeper.conflicts(), **swept), result.counterexample)
            if result.miter.circuit.const_value(result.miter.diff) == 0:
                return LengthResult(n, "equivalent", "sat", time.monotonic() - start, conflicts=sweeper.conflicts(), **swept), None
            answer = sweeper.solve_diff(deadline)
        answer.conflicts = sweeper.conflicts()
        return sat_outcome(case, n, sweeper.cnf, answer, options, start, **swept)


def sat_outcome(case: Case, n: int, cnf, answer, options: ProveOptions, start: float, **swept):
    """The LengthResult (and counterexample word) of the solver's `answer` on `cnf`."""
    stats = dict(variables=cnf.nvars, clauses=len(cnf.clauses), conflicts=answer.conflicts, **swept)
    if answer.status == "sat":
        return (LengthResult(n, "counterexample", "sat", time.monotonic() - start, certified=True, **stats),
                cnf.decode(answer.model, case.alphabet, n))
    if answer.status == "unsat" and options.certify:
        stats |= certify_unsat(case, n, cnf, answer.proof, options.proof_dir)
    status = "equivalent" if answer.status == "unsat" else "unknown"
    return LengthResult(n, status, "sat", time.monotonic() - start, **stats), None


def certify_unsat(case: Case, n: int, cnf, proof: list, proof_dir: Optional[str]) -> dict:
    """Check the solver's proof that the miter CNF is unsatisfiable (after writing
    both to `proof_dir` if given); a proof that does not check raises ProofRejected."""
    if proof_dir:
        certify.write_proof(proof_dir, case.path, n, cnf, proof)
    check = certify.check_unsat_proof(cnf.clauses, proof)
    return dict(certified=True, proof_lemmas=check.lemmas, check_time_s=check.time_s)


def length_method(case: Case, n: int, options: ProveOptions, miter=None) -> str:
    """"exhaustive" or "sat" for length n. `exhaustive` always enumerates; `sat`
    (and `auto` without the batch evaluator, `sample=False`) never does; `auto`
    enumerates when the estimated enumeration time is below AUTO_ENUMERATE_S,
    or, once the miter is built, below the SAT path's estimate for its size."""
    if options.method == "exhaustive":
        exhaustive.check_enumerable(case, n)
        return "exhaustive"
    if options.method == "sat" or not options.sample or exhaustive.string_count(case, n) > exhaustive.EXHAUSTIVE_MAX_STRINGS:
        return "sat"
    estimate = exhaustive.enumeration_seconds(case, n)
    if miter is None:
        return "exhaustive" if estimate <= exhaustive.AUTO_ENUMERATE_S else "sat"
    return "exhaustive" if estimate <= exhaustive.sat_seconds(len(miter.circuit.cone([miter.diff]))) else "sat"


def enumerate_length(case: Case, n: int, deadline, start: float):
    status, word = exhaustive.enumerate_length(case, n, deadline)
    return LengthResult(n, status, "exhaustive", time.monotonic() - start, certified=status != "unknown"), word


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
    left = evaluate.run(case.left, word, case.alphabet, case.outputs)
    right = evaluate.run(case.right, word, case.alphabet, case.outputs)
    if left == right:
        raise InternalError(f"{case.path}: counterexample {','.join(word)!r} does not replay: "
                            f"both models give {left} (a bug in tcverify's lowering or encoding)")
    return {"input": list(word), "length": len(word), "left": left, "right": right}
