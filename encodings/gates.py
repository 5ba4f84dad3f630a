"""Tseitin (1968) equivalences for the boolean gates of the IR, as plain
functions from an output literal and input literals to clauses.

Every function encodes `y <-> gate(inputs)` in both directions, so fixing the
inputs fixes `y` by unit propagation. `not` needs no clauses: it is a negated
literal. The `*_value` helpers build a gate over *values* (an int literal or a
Python bool for a constant), fold constants and allocate the output variable
from the shared `IDPool` only when a gate remains; the counting encodings
(`cardinality.py`, `pseudo_boolean.py`) are written with them.
"""

from __future__ import annotations


def const_clauses(y: int, value) -> list:
    """y <-> value (a unit clause)."""
    return [[y]] if value else [[-y]]


def equal_clauses(y: int, a: int) -> list:
    """y <-> a."""
    return [[-y, a], [y, -a]]


def and_clauses(y: int, lits) -> list:
    """y <-> AND(lits); the empty AND is true."""
    lits = list(dict.fromkeys(lits))
    return [[-y, a] for a in lits] + [[y] + [-a for a in lits]]


def or_clauses(y: int, lits) -> list:
    """y <-> OR(lits); the empty OR is false."""
    lits = list(dict.fromkeys(lits))
    return [[y, -a] for a in lits] + [[-y] + lits]


def xor2_clauses(y: int, a: int, b: int) -> list:
    """y <-> a XOR b (the four clauses of the truth table)."""
    return [[-y, a, b], [-y, -a, -b], [y, -a, b], [y, a, -b]]


def xor_clauses(y: int, lits, pool) -> list:
    """y <-> XOR(lits), as a chain of two-input xors with fresh auxiliary
    variables from `pool` (the last link is `y` itself); the empty XOR is false."""
    lits = list(lits)
    if not lits:
        return [[-y]]
    if len(lits) == 1:
        return equal_clauses(y, lits[0])
    clauses = []
    acc = lits[0]
    for k, b in enumerate(lits[1:], start=2):
        out = y if k == len(lits) else pool.id()
        clauses.extend(xor2_clauses(out, acc, b))
        acc = out
    return clauses


# -- gates over values (int literal or bool constant) ---------------------------


def same_value(a, b) -> bool:
    """a and b are the same literal or the same constant (never 1 == True)."""
    return type(a) is type(b) and a == b


def and_value(a, b, pool, clauses: list):
    """The value of a AND b, appending the clauses of a new gate if one is needed."""
    if a is False or b is False:
        return False
    if a is True:
        return b
    if b is True or a == b:
        return a
    if a == -b:
        return False
    y = pool.id()
    clauses.extend(and_clauses(y, [a, b]))
    return y


def or_value(a, b, pool, clauses: list):
    """The value of a OR b, appending the clauses of a new gate if one is needed."""
    if a is True or b is True:
        return True
    if a is False:
        return b
    if b is False or a == b:
        return a
    if a == -b:
        return True
    y = pool.id()
    clauses.extend(or_clauses(y, [a, b]))
    return y


def monotone_ite_value(x, hi, lo, pool, clauses: list):
    """The value of `lo OR (x AND hi)`, which is ITE(x, hi, lo) when lo implies hi
    (true of the nodes of a counter or of a decision diagram of a monotone
    constraint). Four clauses when no constant folds."""
    if lo is True or hi is False or same_value(lo, hi):
        return lo
    if lo is False:
        return and_value(x, hi, pool, clauses)
    if hi is True:
        return or_value(lo, x, pool, clauses)
    y = pool.id()
    clauses.extend([[-lo, y], [-x, -hi, y], [-y, lo, x], [-y, lo, hi]])
    return y


def tie_clauses(y: int, value) -> list:
    """y <-> value, for a value that is a literal or a bool."""
    if value is True or value is False:
        return const_clauses(y, value)
    return equal_clauses(y, value)
