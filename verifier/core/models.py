"""The loaded, validated form of a case (spec sections 1-5).

Every transformer parameter is already converted with R of its `param_format`
and kept as its integer grid index k on that grid (the value is k * 2^-P, P the
param format's `frac_bits`): vectors are tuples of Python ints, matrices tuples
of such rows. Tuples (not numpy arrays) keep the models immutable, hashable
where their fields are, and cheap for every consumer: the exact evaluator sums
them as Python ints, the batch evaluator turns them into int64/object arrays.
Loading lives in `loader.py`; semantics in `evaluate.py` (exact), `batch.py`
(numpy) and the lowerings to the gate IR (`lower.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Optional, Union

from .gate_ops import NetlistOp
from .number_format import FloatFormat, NumberFormat

Format = Union[NumberFormat, FloatFormat]  # spec 2 / 2.1: both carry values as grid indices

Vector = tuple  # tuple[int, ...]: grid indices on the param grid
Matrix = tuple  # tuple[Vector, ...], a list of rows: W x multiplies a column vector

HeadType = Literal["softmax", "hard", "average"]
Mask = Literal["causal", "none"]
Tie = Literal["leftmost", "rightmost"]
Activation = Literal["relu", "identity", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp"]
PositionalKind = Literal["none", "table", "expr"]
Outputs = Literal["last", "every"]  # one bit for the whole string, or one per prefix
Expect = Literal["equivalent", "counterexample"]


@dataclass(frozen=True)
class Head:
    """One attention head (spec 3.3). `tie` only for hard heads, `exp_frac_bits` only for softmax."""

    type: HeadType
    mask: Mask
    wq: Matrix
    wk: Matrix
    wv: Matrix
    wo: Matrix
    bq: Vector
    bk: Vector
    bv: Vector
    tie: Tie = "leftmost"
    exp_frac_bits: Optional[int] = None


@dataclass(frozen=True)
class LayerNorm:
    """Layer normalisation (spec 3.3): y_i = R(gamma_i * c_i / s + beta_i) with
    mu = R(sum x / d), c = x - mu exact, v = R(sum c^2 / d), s = R(sqrt(v + epsilon))
    (y_i = R(beta_i) where s = 0). `gamma`, `beta` (d_model long) and `epsilon` are
    param-grid indices, the defaults (ones, zeros, 0) already rounded. As a block
    of its own it replaces h by y; as an attention/mlp block's `norm` (pre-norm)
    the block reads y while its residual adds to h."""

    gamma: Vector
    beta: Vector
    epsilon: int


@dataclass(frozen=True)
class Attention:
    heads: tuple  # tuple[Head, ...]
    bo: Vector
    residual: bool = True
    norm: Optional[LayerNorm] = None  # pre-norm: the heads read LN(h)


@dataclass(frozen=True)
class Mlp:
    w1: Matrix
    b1: Vector
    activation: Activation
    w2: Matrix
    b2: Vector
    residual: bool = True
    norm: Optional[LayerNorm] = None  # pre-norm: the MLP reads LN(h)


Block = Union[Attention, Mlp, LayerNorm]


@dataclass(frozen=True)
class Positional:
    """`kind` is "none", "table" (rows of grid indices on the param grid) or "expr".

    For "expr", `rows(n)` evaluates the checked expressions (see `expr.py`) and
    applies R of the number format; an error at a length is a `UserError`.
    """

    kind: PositionalKind = "none"
    table: tuple = ()  # tuple[Vector, ...]
    exprs: tuple = ()  # compiled expressions: callables (i, n, N) -> float
    sources: tuple = ()  # the expression texts, for messages
    key: str = "positional.table"  # the key a too-short table is reported at


@dataclass(frozen=True)
class Readout:
    """The output bits at a read position (param-grid indices, exact, no rounding).

    `kind` "threshold": one row w; the bit is w . h + b > 0.
    `kind` "argmax": one row per class c, o_c = W_c . h + b_c; the class is the first
    maximum (as jnp.argmax). With `accept` (class indices) one bit: the class is
    accepted; without, one bit per class (1 for the winning class), in class order.
    `labels` name the classes (for messages and traces).
    """

    kind: str  # "threshold" | "argmax"
    weights: Matrix
    bias: Vector
    accept: Optional[tuple] = None
    labels: tuple = ()

    @property
    def bits(self) -> int:
        """Output bits per read position."""
        return len(self.weights) if self.kind == "argmax" and self.accept is None else 1


@dataclass(frozen=True)
class Transformer:
    path: str  # the file that defines it, for messages
    number_format: Format
    param_format: Format
    d_model: int
    embedding: dict  # token -> Vector (alphabet symbols, bos, eos)
    blocks: tuple  # tuple[Block, ...]
    readout: "Readout"
    positional: Positional = field(default_factory=Positional)
    bos: Optional[str] = None
    eos: Optional[str] = None


@dataclass(frozen=True)
class Gate:
    """A netlist gate (spec 4.1); `majority` is kept as its own op."""

    id: str
    op: NetlistOp
    inputs: tuple = ()  # names: "x[i][a]" or gate ids
    weights: tuple = ()  # threshold only
    t: int = 0  # threshold only
    value: int = 0  # const only


@dataclass(frozen=True)
class Netlist:
    """A validated netlist for one length; `gates` in topological order."""

    alphabet: tuple
    length: int
    gates: tuple  # tuple[Gate, ...]
    outputs: tuple  # names
    source: str = ""  # file or builder, for messages


@dataclass(frozen=True)
class Circuit:
    """A circuit model: `netlist(n)` gives the validated netlist for length n.

    `kind` is "netlist", "python" or "builtin"; for built-ins `family` and
    `params` (symbol, open, close, k) describe it and `evaluate.py` has a direct
    evaluator independent of the netlist.
    """

    kind: str
    path: str
    netlist: Callable  # (n) -> Netlist, cached by the loader
    family: Optional[str] = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Dfa:
    path: str
    start: str
    accept: frozenset
    delta: dict  # state -> {symbol: state}; missing = implicit rejecting sink


@dataclass(frozen=True)
class Rasp:
    """A RASP program read from a Tracr export's program.json (`kinds/rasp/`).

    `program` is the `kinds.rasp.program.Program` (the graph, its tables and the value
    domains); `symbols` maps each alphabet symbol to its token value. The readout, per
    read position, of the program's value v: `accept` one bit (v is one of `accept`),
    `classes` one bit per class (v is that class), `threshold` one bit (v > threshold);
    an undefined v gives undefined bits (None), which are not compared.
    """

    path: str  # the case file naming it
    folder: str
    program: object
    symbols: dict  # alphabet symbol -> token value
    readout: str  # "accept" | "classes" | "threshold"
    accept: tuple = ()
    classes: tuple = ()  # class values, in the order of the bits
    threshold: object = None  # a Fraction
    labels: tuple = ()  # the class labels (str of each value), for messages


Model = Union[Transformer, Circuit, Dfa, Rasp]


@dataclass(frozen=True)
class Case:
    path: str
    name: str
    alphabet: tuple
    lengths: tuple  # sorted, distinct
    outputs: Outputs
    left: Model
    right: Model
    expect: Expect = "equivalent"
