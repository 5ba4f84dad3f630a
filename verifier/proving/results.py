"""What deciding a case yields, and the one vocabulary of its outcomes (spec
section 6): a length is `equivalent`, `counterexample` or `unknown`; a case
has one of those verdicts or `error` (bad input); an `unknown` has a reason
(`timeout`, `memory`, `interrupted`); a decided length names its method."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, Optional, get_args

from ..errors import UserError

Status = Literal["equivalent", "counterexample", "unknown"]  # of one length
Verdict = Literal["equivalent", "counterexample", "unknown", "error"]  # of a case
Reason = Literal["timeout", "memory", "interrupted"]  # why an unknown
# how a length was decided; an unknown length names the method that ran out of
# time, or its reason when no method ran (not reached in time: "timeout"; its
# worker killed: "timeout" or "memory")
Method = Literal["sat", "exhaustive", "sampling", "trivial", "timeout", "memory"]
Expect = Literal["equivalent", "counterexample"]
# What backs a decided length apart from the SAT solver's word: a checked DRUP proof,
# enumeration of every string on the exact evaluator, a replayed counterexample, or
# nothing but tcverify's own rewriting ("trusted": a `trivial` length not certified).
Backing = Literal["proof", "enumeration", "replay", "trusted"]

STATUSES: tuple = get_args(Status)
REASONS: tuple = get_args(Reason)


@dataclass
class LengthResult:
    n: int
    status: Status
    method: Method
    time_s: float
    variables: int = 0
    clauses: int = 0
    reason: Optional[Reason] = None
    conflicts: int = 0  # the solver's conflicts on this length (with sweeping's)
    merged: int = 0  # miter nodes merged by SAT sweeping
    sweep_s: float = 0.0  # time spent sweeping
    certified: bool = False  # checked apart from the SAT solver: replayed, enumerated or a checked proof
    backing: Optional[Backing] = None  # how it is checked (None: the SAT solver's answer alone)
    proof_lemmas: int = 0  # with certify: lemmas of the checked proof
    check_time_s: float = 0.0
    dont_care: int = 0  # output bits left undefined (not compared) on some string: exact when
    # enumerated, else those whose undefined node is not constant 0 in the miter (an upper bound)

    @classmethod
    def unknown(cls, n: int, reason: Reason, time_s: float = 0.0, **stats) -> "LengthResult":
        """A length no method decided (its method is its reason)."""
        return cls(n, "unknown", reason, time_s, reason=reason, **stats)


@dataclass
class CaseResult:
    case: str  # the path as given
    name: str
    verdict: Verdict
    expect: Optional[Expect]
    lengths: list = field(default_factory=list)  # the lengths decided
    time_s: float = 0.0
    counterexample: Optional[dict] = None
    message: Optional[str] = None
    per_length: list = field(default_factory=list)
    reason: Optional[Reason] = None
    warnings: list = field(default_factory=list)  # the loader's (e.g. parameters rounded or saturated)

    @classmethod
    def error(cls, path: str, message: str, time_s: float = 0.0) -> "CaseResult":
        """The result of a case that could not be decided: bad input."""
        return cls(path, path, "error", None, time_s=time_s, message=message)

    @property
    def ok(self) -> bool:
        return self.verdict == (self.expect or "equivalent")

    @property
    def uncertified(self) -> list:
        """The equivalent lengths backed by nothing checked apart from the solver or the rewriting."""
        return [r.n for r in self.per_length if r.status == "equivalent" and not r.certified]

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
        if self.warnings:
            out["warnings"] = self.warnings
        out["per_length"] = [vars(r) | {"time_s": round(r.time_s, 3), "check_time_s": round(r.check_time_s, 3)}
                             for r in self.per_length]
        return out


def assemble(name: str, expect: Optional[str], label: str, outcomes, start: float,
             on_length=None) -> CaseResult:
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
