"""The options of deciding a length, grouped by the stage of the pipeline that
reads them (`pipeline.py`: sample -> exhaustive -> miter -> sweep -> solve ->
certify). Each is small and frozen; `Stages` carries one of each to a worker.
The time limit is not a stage's: it is a deadline handed to every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional, get_args

from ..encodings.cnf import EncodingOptions
from .solver import DEFAULT_SOLVER

MethodChoice = Literal["auto", "sat", "exhaustive"]
METHODS: tuple = get_args(MethodChoice)


@dataclass(frozen=True)
class SampleOptions:
    """The batch evaluator: the sampling pass before SAT (`--no-sample` turns it
    off, and with it `auto`'s choice of an exhaustive proof)."""
    enabled: bool = True
    seed: int = 0  # strings drawn at length n are seeded by (seed, n)


@dataclass(frozen=True)
class ExhaustiveOptions:
    """How an `equivalent` is proved (`--method`): `exhaustive` enumerates every
    string, `sat` never does, `auto` by the cheaper estimate."""
    method: MethodChoice = "auto"


@dataclass(frozen=True)
class MiterOptions:
    """Lowering both models into the miter and encoding it as CNF."""
    rewrite: bool = True  # linear forms stay linear in the transformer lowering (`--no-rewrite`)
    counts: bool = True  # functions of one small-range linear form as count forms, one shared sum each (`--no-counts`)
    encoding: EncodingOptions = field(default_factory=EncodingOptions)  # `--cardinality`, `--pb`


@dataclass(frozen=True)
class SweepOptions:
    """SAT sweeping of a miter the solver did not decide quickly (`--no-sweep`)."""
    enabled: bool = True
    seed: int = 0  # the simulated strings at length n are seeded by (seed, n)


@dataclass(frozen=True)
class SolveOptions:
    solver: str = DEFAULT_SOLVER  # `--solver`


@dataclass(frozen=True)
class CertifyOptions:
    """`--certify`: check every UNSAT answer's proof; `--proof-dir`: also write it."""
    enabled: bool = False
    proof_dir: Optional[str] = None


@dataclass(frozen=True)
class Stages:
    """One options object per stage, as one value for a worker to receive."""
    sample: SampleOptions = field(default_factory=SampleOptions)
    exhaustive: ExhaustiveOptions = field(default_factory=ExhaustiveOptions)
    miter: MiterOptions = field(default_factory=MiterOptions)
    sweep: SweepOptions = field(default_factory=SweepOptions)
    solve: SolveOptions = field(default_factory=SolveOptions)
    certify: CertifyOptions = field(default_factory=CertifyOptions)
