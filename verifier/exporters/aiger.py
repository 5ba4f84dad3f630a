"""The gate IR as an And-Inverter Graph, written as binary AIGER (format 1.9,
combinational: `aig M I 0 O A`, delta-encoded AND gates, a symbol table and a
comment section), for equivalence checkers such as ABC's `cec` / `&cec`.

Inputs. Each position's symbol is a binary code of b = ceil(log2 |alphabet|)
input bits `x[i].bit[j]` (least significant first): code s < |alphabet| - 1
is `alphabet[s]`, every other code (the last index and the unused codes up to
2^b - 1) is the last symbol. The one-hot inputs x[i][a] of the IR are decoded
from these bits, so every assignment of the AIG's inputs is a string and
"exactly one symbol per position" holds by construction: an external checker
needs no constraint. (AIGER 1.9 constraint outputs would express it too, but
many readers, py-aiger and ABC's `&cec` among them, ignore or reject them.)
With one symbol there are no input bits.

Threshold gates, sum_k w_k a_k >= t, become an adder and a comparator with
the constant t: a negative weight moves to the complemented input
(w a = w + |w| not a), each input puts its weight's one-bits into the columns
of a binary sum, every column is compressed by full and half adders
(carry-save, like a Wallace tree) to one bit, and the sum is compared with t
from its least significant bit up. That is O(total bits of the weights) gates;
a sorting network over unit weights would grow with the weights' values,
exponentially in their bits. Unit-weight gates (majority) are the same adder
with one column: O(m) full adders. `or`, `and`, `xor` are balanced trees of
two-input gates; `xor2(a, b)` is three ANDs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..core.ir import GateCircuit
from ..core.walker import IrWalker
from ..errors import UserError

FALSE, TRUE = 0, 1


def negate(lit: int) -> int:
    return lit ^ 1


class Aig:
    """An AIG under construction: literal 2v is variable v, 2v + 1 its
    complement, 0 and 1 the constants. Variables 1..inputs are the inputs;
    each AND gets the next variable, so its inputs are always smaller. ANDs
    are hashed structurally and constants folded."""

    def __init__(self, inputs: int):
        self.inputs = inputs
        self.ands: list[tuple[int, int]] = []  # (rhs0, rhs1), rhs0 > rhs1
        self._index: dict[tuple[int, int], int] = {}

    def input(self, k: int) -> int:
        return 2 * (k + 1)

    def and2(self, a: int, b: int) -> int:
        low, high = min(a, b), max(a, b)
        if low == FALSE or low == negate(high):
            return FALSE
        if low == TRUE or low == high:
            return high
        lit = self._index.get((high, low))
        if lit is None:
            lit = 2 * (self.inputs + 1 + len(self.ands))
            self.ands.append((high, low))
            self._index[high, low] = lit
        return lit

    def or2(self, a: int, b: int) -> int:
        return negate(self.and2(negate(a), negate(b)))

    def xor2(self, a: int, b: int) -> int:
        return self.or2(self.and2(a, negate(b)), self.and2(negate(a), b))

    def and_(self, lits) -> int:
        return _balanced(self.and2, list(lits), TRUE)

    def or_(self, lits) -> int:
        return _balanced(self.or2, list(lits), FALSE)

    def xor(self, lits) -> int:
        return _balanced(self.xor2, list(lits), FALSE)

    def full_adder(self, a: int, b: int, c: int) -> tuple[int, int]:
        """(sum, carry) of three bits."""
        half = self.xor2(a, b)
        return self.xor2(half, c), self.or2(self.and2(a, b), self.and2(half, c))

    def threshold(self, lits, weights, t: int) -> int:
        """1 iff sum(w * lit) >= t, by a carry-save adder and a comparator
        with the constant t (see the module docstring)."""
        columns: list[deque] = []
        for lit, w in zip(lits, weights):
            if w < 0:
                lit, w, t = negate(lit), -w, t - w
            for j in range(w.bit_length()):
                if w >> j & 1:
                    while len(columns) <= j:
                        columns.append(deque())
                    columns[j].append(lit)
        if t <= 0:
            return TRUE
        total = []
        j = 0
        while j < len(columns):
            column = columns[j]
            while len(column) >= 2:
                if len(column) >= 3:
                    bit, carry = self.full_adder(column.popleft(), column.popleft(), column.popleft())
                else:
                    a, b = column.popleft(), column.popleft()
                    bit, carry = self.xor2(a, b), self.and2(a, b)
                column.append(bit)
                if j + 1 == len(columns):
                    columns.append(deque())
                columns[j + 1].append(carry)
            total.append(column[0] if column else FALSE)
            j += 1
        at_least = TRUE  # the bits below j of the sum are >= those of t
        for j in range(max(len(total), t.bit_length())):
            bit = total[j] if j < len(total) else FALSE
            at_least = self.and2(bit, at_least) if t >> j & 1 else self.or2(bit, at_least)
        return at_least


def _balanced(op, lits: list, neutral: int) -> int:
    if not lits:
        return neutral
    while len(lits) > 1:
        lits = [op(lits[k], lits[k + 1]) if k + 1 < len(lits) else lits[k] for k in range(0, len(lits), 2)]
    return lits[0]


def code_bits(alphabet_size: int) -> int:
    """Input bits per position: ceil(log2 |alphabet|)."""
    return (alphabet_size - 1).bit_length()


@dataclass
class AigerModel:
    """An AIG with named inputs and outputs, ready to be written."""

    aig: Aig
    input_names: list
    outputs: list  # (name, literal)
    comments: list

    def to_bytes(self) -> bytes:
        """Binary AIGER of the outputs' cone (unused ANDs are dropped)."""
        ands, outputs = _compact(self.aig, [lit for _, lit in self.outputs])
        inputs = self.aig.inputs
        out = bytearray(f"aig {inputs + len(ands)} {inputs} 0 {len(outputs)} {len(ands)}\n".encode())
        for lit in outputs:
            out += f"{lit}\n".encode()
        for k, (rhs0, rhs1) in enumerate(ands):
            lhs = 2 * (inputs + 1 + k)
            out += _delta(lhs - rhs0) + _delta(rhs0 - rhs1)
        for k, name in enumerate(self.input_names):
            out += f"i{k} {name}\n".encode()
        for k, (name, _) in enumerate(self.outputs):
            out += f"o{k} {name}\n".encode()
        out += b"c\n"
        for line in self.comments:
            out += f"{line}\n".encode()
        return bytes(out)

    def and_count(self) -> int:
        return len(_compact(self.aig, [lit for _, lit in self.outputs])[0])


def _compact(aig: Aig, outputs: list) -> tuple[list, list]:
    """The ANDs that the outputs depend on, renumbered in order, and the outputs."""
    first_and = aig.inputs + 1
    live = [False] * len(aig.ands)
    for lit in outputs:
        if lit // 2 >= first_and:
            live[lit // 2 - first_and] = True
    for k in range(len(aig.ands) - 1, -1, -1):
        if live[k]:
            for lit in aig.ands[k]:
                if lit // 2 >= first_and:
                    live[lit // 2 - first_and] = True
    var = list(range(first_and))  # old variable -> new
    kept = 0
    for k, alive in enumerate(live):
        var.append(first_and + kept if alive else None)
        kept += alive

    def renumber(lit):
        return 2 * var[lit // 2] + (lit & 1)

    ands = [(renumber(a), renumber(b)) for k, (a, b) in enumerate(aig.ands) if live[k]]
    return ands, [renumber(lit) for lit in outputs]


def _delta(value: int) -> bytes:
    """AIGER's variable-length unsigned integer: 7 bits per byte, low first."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def lower_to_aig(circuit: GateCircuit, outputs: list, comments=()) -> AigerModel:
    """The IR cone of `outputs` ((name, node) pairs) as an AIG over the binary
    symbol codes of the positions (see the module docstring)."""
    alphabet = circuit.alphabet
    bits = code_bits(len(alphabet))
    aig = Aig(circuit.length * bits)
    names = [f"x[{i}].bit[{j}]" for i in range(circuit.length) for j in range(bits)]

    lit = _AigLowering(aig, alphabet, bits).walk(circuit, circuit.cone([node for _, node in outputs]))
    codes = [f"{s} {a}" for s, a in enumerate(alphabet)]
    header = [f"inputs: x[i].bit[j] is bit j (least significant first) of the code of the symbol at position i;"
              f" codes {', '.join(codes)}; codes above {len(alphabet) - 1} also mean {alphabet[-1]}"]
    return AigerModel(aig, names, [(name, lit[node]) for name, node in outputs], list(comments) + header)


class _AigLowering(IrWalker):
    """Each IR gate's literal in `aig`; the one-hot input x[i][a] decoded from
    the `bits` code bits of position i."""

    def __init__(self, aig: Aig, alphabet, bits: int):
        self.aig, self.alphabet, self.bits = aig, alphabet, bits

    def symbol(self, i: int, a) -> int:
        aig, alphabet, bits = self.aig, self.alphabet, self.bits
        s = alphabet.index(a)
        if s == len(alphabet) - 1:  # the last symbol: none of the others
            return aig.and_(negate(self.symbol(i, b)) for b in alphabet[:-1])
        return aig.and_(aig.input(i * bits + j) ^ (0 if s >> j & 1 else 1) for j in range(bits))

    def walk_input(self, gate, ins) -> int:
        return self.symbol(*gate.value)

    def walk_const(self, gate, ins) -> int:
        return TRUE if gate.value else FALSE

    def walk_not(self, gate, ins) -> int:
        return negate(ins[0])

    def walk_and(self, gate, ins) -> int:
        return self.aig.and_(ins)

    def walk_or(self, gate, ins) -> int:
        return self.aig.or_(ins)

    def walk_xor(self, gate, ins) -> int:
        return self.aig.xor(ins)

    def walk_threshold(self, gate, ins) -> int:
        return self.aig.threshold(ins, gate.weights, gate.t)


def write_aiger(model: AigerModel, path: str) -> dict:
    """`model` as a binary AIGER file; its counts (inputs, and gates, outputs)."""
    data = model.to_bytes()
    try:
        with open(path, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", path) from None
    return {"inputs": model.aig.inputs, "ands": model.and_count(), "outputs": len(model.outputs)}
