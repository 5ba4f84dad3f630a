"""Built-in circuit families (spec 4.2): for each, a direct evaluator on one string
and a threshold-circuit netlist per length, so the two can check each other.

With `outputs: every` each family applies to every prefix w_0 .. w_i. On the
empty string: dyck1 accepts, count_at_least accepts iff k <= 0, the others
reject (first/last by spec 7; majority, parity and contains by their counts).
"""

from __future__ import annotations

from ...errors import UserError
from ...core.models import Gate, Netlist

# family -> its parameters (all required)
FAMILIES = {
    "majority": ("symbol",),
    "parity": ("symbol",),
    "dyck1": ("open", "close"),
    "first": ("symbol",),
    "last": ("symbol",),
    "contains": ("symbol",),
    "count_at_least": ("symbol", "k"),
}


def parse_builtin(spec: dict, alphabet, path, key) -> tuple:
    """Validate `{builtin: family, ...params}`; returns (family, params)."""
    def at(name):
        return f"{key}.{name}" if key else name

    family = spec.get("builtin")
    if family not in FAMILIES:
        raise UserError(f"unknown built-in family {family!r} (known: {', '.join(FAMILIES)})", path, at("builtin"))
    wanted = FAMILIES[family]
    for name in spec:
        if name != "builtin" and name not in wanted:
            raise UserError(f"unknown key {name!r} for the built-in {family} (it takes {', '.join(wanted)})", path, at(name))
    params = {}
    for name in wanted:
        if name not in spec:
            raise UserError(f"the built-in {family} needs the key {name!r}", path, key or None)
        value = spec[name]
        if name == "k":
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserError(f"k must be an integer, not {value!r}", path, at("k"))
        elif value not in alphabet or not isinstance(value, str):
            if not isinstance(value, str) and str(value) in alphabet:  # YAML read an unquoted 1 as a number
                raise UserError(f"{value!r} is a number, not a symbol of the alphabet {list(alphabet)}: "
                                f"write it quoted, '{value}'", path, at(name))
            raise UserError(f"{value!r} is not a symbol of the alphabet {list(alphabet)}", path, at(name))
        params[name] = value
    if family == "dyck1" and (params["open"] == params["close"] or set(alphabet) != {params["open"], params["close"]}):
        raise UserError(f"dyck1 needs the alphabet to be exactly {{open, close}} with open != close; the alphabet is {list(alphabet)}", path, key or None)
    return family, params


def _accepts(family: str, params: dict, word) -> int:
    """The family's bit on one whole string."""
    if family == "dyck1":
        depth = 0
        for symbol in word:
            depth += 1 if symbol == params["open"] else -1
            if depth < 0:
                return 0
        return int(depth == 0)
    if family in ("first", "last"):
        if not word:
            return 0
        return int(word[0 if family == "first" else -1] == params["symbol"])
    count = sum(1 for symbol in word if symbol == params["symbol"])
    if family == "majority":
        return int(2 * count > len(word))
    if family == "parity":
        return count % 2
    if family == "contains":
        return int(count > 0)
    if family == "count_at_least":
        return int(count >= params["k"])
    raise AssertionError(family)


def evaluate_builtin(family: str, params: dict, word, outputs: str) -> list:
    """Direct evaluation: one bit for `last`, one per prefix for `every`."""
    word = list(word)
    if outputs == "every":
        return [_accepts(family, params, word[: i + 1]) for i in range(len(word))]
    return [_accepts(family, params, word)]


def builtin_netlist(family: str, params: dict, n: int, alphabet, outputs: str) -> Netlist:
    """A netlist of threshold/xor/and/or/const gates for length n, gates in
    topological order. majority and count_at_least are one threshold gate per
    output, parity one xor, contains one or; dyck1 uses prefix-sum threshold gates:
    prefix i is balanced iff every prefix sum D_j = #open - #close of w_0..w_j
    (j <= i) is >= 0 and D_i <= 0."""
    gates = []
    prefixes = list(range(n)) if outputs == "every" else [n - 1]

    def x(i, symbol):
        return f"x[{i}][{symbol}]"

    def add(gate):
        gates.append(gate)
        return gate.id

    if family == "dyck1":
        op, cl = params["open"], params["close"]

        def signed(j, sign):
            ins, ws = [], []
            for m in range(j + 1):
                ins += [x(m, op), x(m, cl)]
                ws += [sign, -sign]
            return tuple(ins), tuple(ws)

        nonneg = []
        for j in range(n):
            ins, ws = signed(j, 1)
            nonneg.append(add(Gate(f"nonneg{j}", "threshold", ins, ws, 0)))
        names = []
        for i in prefixes:
            if i < 0:
                names.append(add(Gate("empty", "const", value=1)))
                continue
            ins, ws = signed(i, -1)
            closed = add(Gate(f"closed{i}", "threshold", ins, ws, 0))
            names.append(add(Gate(f"balanced{i}", "and", tuple(nonneg[: i + 1]) + (closed,))))
        return Netlist(tuple(alphabet), n, tuple(gates), tuple(names), f"builtin {family}")

    symbol = params.get("symbol")
    names = []
    for i in prefixes:
        ins = tuple(x(m, symbol) for m in range(i + 1))
        if family == "first" or family == "last":
            if i < 0:
                names.append(add(Gate("zero", "const", value=0)))
            else:
                names.append(x(0 if family == "first" else i, symbol))
        elif family == "majority":
            names.append(add(Gate(f"majority{i}", "threshold", ins, (1,) * len(ins), (i + 1) // 2 + 1)))
        elif family == "count_at_least":
            names.append(add(Gate(f"at_least{i}", "threshold", ins, (1,) * len(ins), params["k"])))
        elif family == "parity":
            names.append(add(Gate(f"parity{i}", "xor", ins)))
        elif family == "contains":
            names.append(add(Gate(f"contains{i}", "or", ins)))
        else:
            raise AssertionError(family)
    return Netlist(tuple(alphabet), n, tuple(gates), tuple(names), f"builtin {family}")
