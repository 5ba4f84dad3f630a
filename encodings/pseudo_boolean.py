"""Reified weighted threshold gates `y <-> (sum w_i x_i >= t)`.

`normalize` first rewrites a gate into positive weights, each at most t, divided
by their gcd (or decides it). Then, as plain functions
`(lits, weights, t, y, pool) -> clauses`:

- `bdd`: our own reified decision diagram (Eén & Sörensson 2006, with the
  interval memoisation of Abío, Nieuwenhuis, Oliveras & Rodríguez-Carbonell
  2012): node(i, K) <-> [sum_{k>=i} w_k x_k >= K] defined by
  `node(i+1, K) OR (x_i AND node(i+1, K - w_i))` with both directions (four
  clauses per node), so fixing the inputs fixes y. A diagram over
  `BDD_NODE_LIMIT` nodes is abandoned for the `pysat-adder` encoding (unless
  the weights exceed Pindakaas's 64-bit coefficients: then the BDD is kept,
  and every `pysat-*` encoding also uses it for such gates).
- `pysat-<name>`: an encoding of pysat.pb (Pindakaas), reified with two
  conditional constraints: `y -> sum >= t` and `¬y -> sum <= t - 1`.
  `pysat-seqcounter` and `pysat-sortnetwrk` count in unary and are replaced by
  `pysat-adder` when t > `UNARY_LIMIT`.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import partial
from math import gcd

from pysat.pb import EncType, PBEnc

from ..core.number_format import INT64_SAFE
from .gates import monotone_ite_value, tie_clauses

BDD_NODE_LIMIT = 20000


def normalize(lits, weights, t):
    """(lits, weights, t) with distinct variables, weights in 1..t sorted in
    decreasing order and divided by their gcd, and 0 < t <= sum(weights); or a
    bool when the gate is constant. `-w·x = w·¬x - w` turns negative weights
    (and repeated or complementary literals are merged first)."""
    t = int(t)
    coefficient = {}  # variable -> weight of its positive literal
    for a, w in zip(lits, weights):
        w = int(w)
        if a < 0:  # w·¬v = w - w·v
            t -= w
            a, w = -a, -w
        coefficient[a] = coefficient.get(a, 0) + w
    terms = []
    for v, w in coefficient.items():
        if w > 0:
            terms.append((v, w))
        elif w < 0:  # w·v = w + |w|·¬v
            t -= w
            terms.append((-v, -w))
    if t <= 0:
        return True
    if sum(w for _, w in terms) < t:
        return False
    terms = [(a, min(w, t)) for a, w in terms]  # a weight above t counts as t
    g = 0
    for _, w in terms:
        g = gcd(g, w)
    terms.sort(key=lambda term: (-term[1], abs(term[0])))
    return [a for a, _ in terms], [w // g for _, w in terms], -(-t // g)


def bdd(lits, weights, t, y, pool) -> list:
    """Reified BDD (see the module docstring); needs normalized input
    (positive weights); falls back to `pysat-adder` above BDD_NODE_LIMIT nodes
    unless the weights are too large for Pindakaas."""
    fits = sum(weights) < INT64_SAFE
    diagram = _bdd_nodes(list(weights), t, BDD_NODE_LIMIT if fits else None)
    if diagram is None:
        return pysat_reified(lits, weights, t, y, pool, "adder")
    nodes, root = diagram
    clauses = []
    values = []  # of the nodes in creation order (children first)
    for i, hi, lo in nodes:
        hi, lo = (v if isinstance(v, bool) else values[v] for v in (hi, lo))
        values.append(monotone_ite_value(lits[i], hi, lo, pool, clauses))
    return clauses + tie_clauses(y, root if isinstance(root, bool) else values[root])


def _bdd_nodes(weights, t, limit):
    """The diagram of `sum_i weights[i] x_i >= t`: (nodes, root), nodes a list of
    (i, hi, lo) whose children, like the root, are a bool or the index of an
    earlier node. None beyond `limit` nodes (None: no limit)."""
    n = len(weights)
    rest = [0] * (n + 1)  # rest[i] = sum of weights[i:]
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + weights[i]
    # per level: disjoint intervals [low, high] of K (sorted by low) on which
    # node(i, K) is the same; the intervals are exact (Abío et al. 2012)
    starts = [[] for _ in range(n + 1)]
    entries = [[] for _ in range(n + 1)]
    nodes = []

    def lookup(i, K):  # (low, high, child) with None for an infinite end, or None if not built
        if K <= 0:
            return (None, 0, True)
        if K > rest[i]:
            return (rest[i] + 1, None, False)
        k = bisect_right(starts[i], K) - 1
        if k >= 0 and K <= entries[i][k][1]:
            return entries[i][k]
        return None

    stack = [(0, t)]
    while stack:
        i, K = stack[-1]
        if lookup(i, K) is not None:
            stack.pop()
            continue
        hi, lo = lookup(i + 1, K - weights[i]), lookup(i + 1, K)
        if hi is None or lo is None:
            if hi is None:
                stack.append((i + 1, K - weights[i]))
            if lo is None:
                stack.append((i + 1, K))
            continue
        stack.pop()
        low = _max(lo[0], None if hi[0] is None else hi[0] + weights[i])
        high = _min(lo[1], None if hi[1] is None else hi[1] + weights[i])
        if type(hi[2]) is type(lo[2]) and hi[2] == lo[2]:  # x_i does not matter here
            child = lo[2]
        else:
            if len(nodes) == limit:
                return None
            nodes.append((i, hi[2], lo[2]))
            child = len(nodes) - 1
        k = bisect_right(starts[i], low)
        starts[i].insert(k, low)
        entries[i].insert(k, (low, high, child))
    return nodes, lookup(0, t)[2]


def _max(a, b):  # None is minus infinity
    return b if a is None else a if b is None else max(a, b)


def _min(a, b):  # None is plus infinity
    return b if a is None else a if b is None else min(a, b)


# Pindakaas's sequential counter and sorting network count the weights in unary:
# beyond UNARY_LIMIT they are replaced by the adder (they would need millions of
# clauses, and Pindakaas panics beyond its variable limit).
UNARY_ENCODINGS = ("seqcounter", "sortnetwrk")
UNARY_LIMIT = 512
PYSAT_ENCODINGS = ("adder", "bdd", "binmerge", "mixedradix", "seqcounter", "sortnetwrk", "totalizer", "watchdog")


def pysat_reified(lits, weights, t, y, pool, encoding: str) -> list:
    """y <-> sum >= t through pysat.pb (Pindakaas): `y -> sum >= t` and
    `¬y -> sum <= t-1`, both with fresh variables taken from `pool`.
    Needs normalized input (positive weights, 0 < t <= sum). Weights beyond
    Pindakaas's 64-bit integers go to our `bdd`."""
    if sum(weights) >= INT64_SAFE:
        return bdd(lits, weights, t, y, pool)
    if encoding in UNARY_ENCODINGS and t > UNARY_LIMIT:
        encoding = "adder"
    kind = getattr(EncType, encoding)
    lits, weights = list(lits), list(weights)
    at_least = PBEnc.geq(lits, weights, t, vpool=pool, encoding=kind, conditionals=[y])
    at_most = PBEnc.leq(lits, weights, t - 1, vpool=pool, encoding=kind, conditionals=[-y])
    return at_least.clauses + at_most.clauses


ENCODINGS = {"bdd": bdd}
ENCODINGS.update({f"pysat-{name}": partial(pysat_reified, encoding=name) for name in PYSAT_ENCODINGS})
