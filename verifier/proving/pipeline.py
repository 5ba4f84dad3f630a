"""Deciding a case, one length at a time, shortest first, down one pipeline
(spec section 6; docs/proofs.md, docs/sweeping.md):

    sample -> exhaustive -> miter -> sweep -> solve -> certify

A length with few strings is proved exhaustively by the batch evaluator
(`exhaustive.py`); otherwise the sampling pass looks for a disagreement among
few strings and times the evaluators, `auto` (`auto_length`) enumerates when
that is cheap or when SAT does not decide within the enumeration's estimate,
and the SAT path builds the miter, sweeps it when the solver does not decide
it quickly (`sweeping.py`), solves it (`solver.py`), and certifies an UNSAT
answer when asked (`certify.py`). Each
stage reads its own options (`options.py`). Every counterexample is replayed
on the exact evaluators before it is reported."""

from __future__ import annotations

import itertools
import time
from typing import Callable, Optional

import numpy as np

from ..core.ir import OutOfTime
from ..core.models import Case
from ..errors import InternalError
from . import certify, exhaustive
from .miter import build_miter, dont_care_bits, miter_cnf
from .options import CertifyOptions, ExhaustiveOptions, MiterOptions, SampleOptions, SolveOptions, Stages, SweepOptions
from .results import CaseResult, LengthResult, assemble
from .solver import solve
from .sweeping import Sweeper
from .witness import replay, simplest

ENUMERATE_UP_TO = 4096  # strings per length checked exhaustively by the sampling pass
RANDOM_SAMPLES = 512  # strings per length otherwise
AUTO_ENUMERATE_S = 2.0  # `auto` enumerates outright below this estimate (and below the SAT estimate)
AUTO_SAT_SHARE = 0.5  # `auto` tries SAT when its estimate is within this share of the enumeration's
EASY_CONFLICTS = 10_000  # a miter the solver decides within this many conflicts is not swept
SWEEP_SHARE = 1.0  # sweeping may take this many times as long as that budgeted attempt took,
SWEEP_MIN_S = 1.0  # or this many seconds if that is more
TRIVIAL_PROOF_S = 30.0  # certify: the most time spent proving a `trivial` length's miter built without rewriting


def decide_case(case: Case, stages: Stages = Stages(), timeout: Optional[float] = None,
                on_length: Callable = None, label: Optional[str] = None) -> CaseResult:
    """Decide the lengths in increasing order in this process; stop at the first
    counterexample. The time limit is checked between lengths and inside the
    solver only (`schedule` bounds a whole case by running it in a child process)."""
    start = time.monotonic()
    deadline = start + timeout if timeout else None
    return assemble(case.name, case.expect, label or case.path,
                    decide_lengths(case, case.lengths, stages, deadline), start, on_length)


def decide_lengths(case: Case, lengths, stages: Stages, deadline=None):
    """(LengthResult, replayed counterexample or None) for `lengths` in order,
    until the first one that is not equivalent."""
    certify_trivial = stages.certify.enabled
    for n in lengths:
        if deadline is not None and time.monotonic() >= deadline:
            yield LengthResult.unknown(n, "timeout"), None
            return
        outcome, word = decide_length(case, n, stages, deadline, certify_trivial)
        if outcome.backing == "trusted":
            certify_trivial = False  # a longer length's proof is no easier: it stays trusted at once
        yield outcome, (replay(case, simplest(case, word, deadline)) if word is not None else None)
        if outcome.status != "equivalent":
            return


def decide_length(case: Case, n: int, stages: Stages, deadline=None, certify_trivial: bool = True):
    """(LengthResult, counterexample word or None) for one length, down the
    pipeline. The sampling pass is seeded by (seed, n), so any schedule of
    lengths finds the same strings. With --certify and `certify_trivial`, a
    `trivial` length is certified apart (`certify_trivial_length`)."""
    start = time.monotonic()
    if stages.certify.enabled:
        certify.check_certifying_solver(stages.solve.solver)
    method = length_method(case, n, stages.exhaustive, stages.sample)
    if method == "exhaustive":
        return enumerate_length(case, n, deadline, start)
    if stages.sample.enabled:
        sampled = time.monotonic()
        word, count = sample_disagreement(case, n, np.random.default_rng([stages.sample.seed, n]))
        if word is not None:
            return LengthResult(n, "counterexample", "sampling", time.monotonic() - start, certified=True,
                                backing="replay"), word
        if method == "auto":
            return auto_length(case, n, stages, deadline, start, (time.monotonic() - sampled) / count,
                               certify_trivial)
    return sat_length(case, n, stages, deadline, start, certify_trivial)


def auto_length(case: Case, n: int, stages: Stages, deadline, start: float, seconds_per_string: float,
                certify_trivial: bool = True):
    """`auto` past the sampling pass. Enumeration is estimated from the measured
    cost per string (`exhaustive.enumeration_seconds`: the real evaluator path,
    float64, limbs or Python ints, and how many residual rows are distinct);
    when the sampling pass's few strings put it above AUTO_ENUMERATE_S, one
    chunk of random strings (the size enumeration uses) is timed too, a far
    closer estimate on models whose rows repeat. That estimate is the SAT path's
    budget. The miter is lowered within AUTO_SAT_SHARE of it (a lowering that
    runs past that gives up, `ir.OutOfTime`); SAT is tried when the lowering's
    time plus the encoding and solving its real size calls for
    (`exhaustive.sat_seconds`) is within AUTO_SAT_SHARE of the enumeration, or
    when the miter is constant (`trivial`, nothing left to do), and goes on
    within the budget; otherwise, and when SAT did not decide within the
    budget, the length is enumerated. A length so costs at most about twice
    the faster method, and about 1.5 times where the lowering alone tells SAT
    will not win. Under --certify a constant miter counts as SAT only past
    AUTO_ENUMERATE_S (its certificate is a proof of the miter built without
    rewriting; an enumeration certifies itself)."""
    if exhaustive.enumeration_seconds(case, n, seconds_per_string) > AUTO_ENUMERATE_S:
        word, seconds_per_string = calibrate(case, n, stages.sample.seed)
        if word is not None:
            return LengthResult(n, "counterexample", "sampling", time.monotonic() - start, certified=True,
                                backing="replay"), word
    budget = exhaustive.enumeration_seconds(case, n, seconds_per_string)
    now = time.monotonic()
    attempt = now + budget if deadline is None else min(deadline, now + budget)
    try:
        miter = build_miter(case, n, rewrite=stages.miter.rewrite, deadline=min(attempt, now + AUTO_SAT_SHARE * budget),
                            counts=stages.miter.counts)
    except OutOfTime:
        return enumerate_length(case, n, deadline, start)
    if miter.circuit.const_value(miter.diff) == 0:
        worth = budget > AUTO_ENUMERATE_S if stages.certify.enabled and certify_trivial else True
    else:
        worth = time.monotonic() - now + exhaustive.sat_seconds(miter) <= AUTO_SAT_SHARE * budget
    if not worth:
        return enumerate_length(case, n, deadline, start)
    outcome = sat_length(case, n, stages, deadline, start, certify_trivial, attempt=attempt, miter=miter)
    if outcome[0].status != "unknown" or (deadline is not None and time.monotonic() >= deadline):
        return outcome
    return enumerate_length(case, n, deadline, start)


def calibrate(case: Case, n: int, seed: int) -> tuple:
    """(a disagreement or None, seconds per string) on one chunk of the enumeration:
    `exhaustive.CHUNK_STRINGS` strings of length n consecutive in lexicographic
    order from a random one, seeded by (seed, n). Consecutive strings share
    prefixes, so their residual rows repeat as the enumeration's do (a chunk of
    independent random strings cost 2 to 3 times as much per string on
    Shuffle-Dyck-2)."""
    rng = np.random.default_rng([seed, n, 1])
    total = exhaustive.string_count(case, n)
    count = min(exhaustive.CHUNK_STRINGS, total)
    words = exhaustive.words_at(len(case.alphabet), n, int(rng.integers(0, total - count + 1)), count)
    timed = time.monotonic()
    word = exhaustive.first_disagreement(case, words)
    return word, (time.monotonic() - timed) / len(words)


def sat_length(case: Case, n: int, stages: Stages, deadline, start: float, certify_trivial: bool = True,
               attempt=None, miter=None):
    """Length n by the SAT path: the miter (built here unless given; a `trivial` one
    certified apart with --certify and `certify_trivial`, within `deadline`), then
    sweeping and solving within `attempt` (auto's budget) or `deadline`."""
    solve_by = deadline if attempt is None else attempt
    miter = build_miter(case, n, rewrite=stages.miter.rewrite, counts=stages.miter.counts) if miter is None else miter
    if miter.circuit.const_value(miter.diff) == 0:
        if stages.certify.enabled and certify_trivial:
            return certify_trivial_length(case, n, deadline, start, miter_options=stages.miter,
                                          sample_options=stages.sample, solve_options=stages.solve,
                                          certify_options=stages.certify)
        return LengthResult(n, "equivalent", "trivial", time.monotonic() - start, backing="trusted",
                            dont_care=dont_care_bits(miter)), None
    if _should_sweep(stages):
        outcome, word = sweep_and_solve(case, n, miter, solve_by, start, miter_options=stages.miter,
                                        sweep_options=stages.sweep, solve_options=stages.solve,
                                        certify_options=stages.certify)
    else:
        cnf = miter_cnf(miter, stages.miter.encoding)
        answer = solve(cnf.clauses, stages.solve.solver, solve_by, proof=stages.certify.enabled)
        outcome, word = sat_outcome(case, n, cnf, answer, start, solve_by, certify_options=stages.certify)
    outcome.dont_care = dont_care_bits(miter)
    return outcome, word


def sweep_and_solve(case: Case, n: int, miter, deadline, start: float, *, miter_options: MiterOptions,
                    sweep_options: SweepOptions, solve_options: SolveOptions, certify_options: CertifyOptions):
    """Length n on one incremental solver (`sweeping.Sweeper`): the miter within
    `EASY_CONFLICTS` conflicts; failing that, SAT sweeping for at most
    `SWEEP_SHARE` times as long as that attempt took (or `SWEEP_MIN_S`), then
    the miter again on the same solver (it keeps its learnt clauses and gains
    the proved equalities)."""
    with Sweeper(miter, miter_options.encoding, solve_options.solver) as sweeper:
        answer = sweeper.solve_diff(deadline, EASY_CONFLICTS)
        swept = {}
        if answer.status == "unknown" and not (deadline is not None and time.monotonic() >= deadline):
            result = sweeper.sweep(sweep_options.seed, deadline, time_limit=max(SWEEP_MIN_S, SWEEP_SHARE * answer.time_s))
            swept = dict(merged=result.merged, sweep_s=round(result.time_s, 3))
            if result.counterexample is not None:
                method = "sampling" if result.found_by == "simulation" else "sat"
                return (LengthResult(n, "counterexample", method, time.monotonic() - start, certified=True,
                                     backing="replay", conflicts=sweeper.conflicts(), **swept), result.counterexample)
            if result.miter.circuit.const_value(result.miter.diff) == 0:
                return LengthResult(n, "equivalent", "sat", time.monotonic() - start, conflicts=sweeper.conflicts(), **swept), None
            answer = sweeper.solve_diff(deadline)
        answer.conflicts = sweeper.conflicts()
        return sat_outcome(case, n, sweeper.cnf, answer, start, deadline, certify_options=certify_options, **swept)


def sat_outcome(case: Case, n: int, cnf, answer, start: float, deadline=None, *, certify_options: CertifyOptions,
                **swept):
    """The LengthResult (and counterexample word) of the solver's `answer` on
    `cnf`; an UNSAT answer goes through the certify stage when it is on."""
    stats = dict(variables=cnf.nvars, clauses=len(cnf.clauses), conflicts=answer.conflicts, **swept)
    if answer.status == "sat":
        return (LengthResult(n, "counterexample", "sat", time.monotonic() - start, certified=True, backing="replay", **stats),
                cnf.decode(answer.model, case.alphabet, n))
    if answer.status == "unsat" and certify_options.enabled:
        check = certify.certify_unsat(cnf, answer.proof, certify_options, case.path, n, deadline)  # ProofRejected if it fails
        if check is None:  # out of time before the proof was checked
            return LengthResult(n, "unknown", "sat", time.monotonic() - start, reason="timeout", **stats), None
        stats |= dict(certified=True, backing="proof", proof_lemmas=check.lemmas, check_time_s=check.time_s)
    if answer.status == "unsat":
        return LengthResult(n, "equivalent", "sat", time.monotonic() - start, **stats), None
    return LengthResult(n, "unknown", "sat", time.monotonic() - start, reason="timeout", **stats), None


def length_method(case: Case, n: int, choice: ExhaustiveOptions = ExhaustiveOptions(),
                  sample: SampleOptions = SampleOptions()) -> str:
    """"exhaustive", "sat" or "auto" for length n. `exhaustive` always enumerates;
    `sat` (and `auto` without the batch evaluator, or past EXHAUSTIVE_MAX_STRINGS)
    never does; `auto` enumerates the lengths whose strings the sampling pass
    would check one by one anyway, and leaves the others ("auto") to
    `auto_length`, once the sampling pass has timed the evaluators."""
    if choice.method == "exhaustive":
        exhaustive.check_enumerable(case, n)
        return "exhaustive"
    if choice.method == "sat" or not sample.enabled or exhaustive.string_count(case, n) > exhaustive.EXHAUSTIVE_MAX_STRINGS:
        return "sat"
    return "exhaustive" if exhaustive.string_count(case, n) <= ENUMERATE_UP_TO else "auto"


def enumerate_length(case: Case, n: int, deadline, start: float):
    undefined = []
    status, word = exhaustive.enumerate_length(case, n, deadline, undefined)
    if status == "unknown":
        return LengthResult(n, "unknown", "exhaustive", time.monotonic() - start, reason="timeout"), None
    return LengthResult(n, status, "exhaustive", time.monotonic() - start, certified=True,
                        backing="enumeration" if status == "equivalent" else "replay", dont_care=sum(undefined)), word


def certify_trivial_length(case: Case, n: int, deadline, start: float, *, miter_options: MiterOptions,
                           sample_options: SampleOptions, solve_options: SolveOptions, certify_options: CertifyOptions):
    """--certify on a length whose miter the rewriting made constant 0 (`trivial`,
    trusted code): prove the miter built without rewriting, with a checked DRUP
    proof, or else (if that miter is constant too) enumerate every string;
    within the time limit and TRIVIAL_PROOF_S. A `trivial` length that neither
    certifies is reported `backing: trusted`, `certified: False` (docs/proofs.md)."""
    budget = time.monotonic() + TRIVIAL_PROOF_S
    budget = budget if deadline is None else min(budget, deadline)
    miter = build_miter(case, n, rewrite=False) if miter_options.rewrite else None
    if miter is not None and miter.circuit.const_value(miter.diff) is None:
        cnf = miter_cnf(miter, miter_options.encoding)
        answer = solve(cnf.clauses, solve_options.solver, budget, proof=True)
        if answer.status == "sat":
            _rewriting_hid(case, n, cnf.decode(answer.model, case.alphabet, n))
        if answer.status == "unsat":
            check = certify.certify_unsat(cnf, answer.proof, certify_options, case.path, n, budget)  # ProofRejected if it fails
            if check is not None:
                return LengthResult(n, "equivalent", "trivial", time.monotonic() - start, cnf.nvars, len(cnf.clauses),
                                    conflicts=answer.conflicts, certified=True, backing="proof",
                                    proof_lemmas=check.lemmas, check_time_s=check.time_s), None
    elif sample_options.enabled and exhaustive.string_count(case, n) <= exhaustive.EXHAUSTIVE_MAX_STRINGS:
        status, word = exhaustive.enumerate_length(case, n, budget)
        if status == "counterexample":
            _rewriting_hid(case, n, word)
        if status == "equivalent":
            return LengthResult(n, "equivalent", "trivial", time.monotonic() - start, certified=True,
                                backing="enumeration"), None
    return LengthResult(n, "equivalent", "trivial", time.monotonic() - start, backing="trusted"), None


def _rewriting_hid(case: Case, n: int, word: list):
    """A string found where the rewritten miter was constant 0: an internal error
    either way (replay raises if it does not separate the models)."""
    replay(case, word)
    raise InternalError(f"{case.path}: length {n}: the rewritten miter is constant 0, yet "
                        f"{','.join(word)!r} separates the models (a bug in the linear-form rewriting)")


def _should_sweep(stages: Stages) -> bool:
    """The one place that decides whether a length's miter may be swept (only
    after the solver failed to decide it within `EASY_CONFLICTS`, so easy
    miters pay nothing; docs/sweeping.md): not when turned off (`--no-sweep`).
    A length whose verdict is certified by a DRUP proof must not be swept
    either (the proof is about the exact miter CNF), so `--certify` turns it off."""
    return stages.sweep.enabled and not stages.certify.enabled


def all_words(alphabet_size: int, n: int) -> np.ndarray:
    return np.array(list(itertools.product(range(alphabet_size), repeat=n)), dtype=np.int64).reshape(alphabet_size ** n, n)


def sample_disagreement(case: Case, n: int, rng) -> tuple:
    """(a string of length n on which the batch evaluators disagree or None, the
    number of strings checked): all strings when there are few, else random ones
    plus the constant strings."""
    k = len(case.alphabet)
    if k ** n <= ENUMERATE_UP_TO:
        words = all_words(k, n)
    else:
        constant = np.repeat(np.arange(k)[:, None], n, axis=1)
        words = np.concatenate([constant, rng.integers(0, k, size=(RANDOM_SAMPLES, n))])
    return exhaustive.first_disagreement(case, words), len(words)
