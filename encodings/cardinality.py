"""Reified unit-weight threshold gates `y <-> (sum x_i >= t)`.

Each encoding is a plain function `(lits, t, y, pool) -> clauses`; auxiliary
variables come from the shared `pysat.formula.IDPool`. Every auxiliary variable
is defined by an equivalence (both directions), so fixing the inputs fixes `y`.
A negative unit coefficient is passed as a negated literal (-1·x = 1·¬x - 1,
see `pseudo_boolean.normalize`). Common steps, in `_reify`: a trivial `t`
(t <= 0 or t > n) gives a unit clause, and `t > (n+1)/2` is turned into the
cheaper complement `¬y <-> (sum ¬x_i >= n - t + 1)`, so no encoding counts past
about n/2.

- `totalizer`: Bailleux & Boufkhad 2003, a tree of unary adders, each node
  counting only up to t.
- `seqcounter`: Sinz 2005, the sequential counter with both directions, keeping
  only the registers that can still reach t.
- `sortnet`: Batcher's odd-even merge sorting network (Knuth TAOCP 5.3.4; as a
  CNF: Eén & Sörensson 2006), comparators as (or, and) gate pairs, pruned to the
  cone of output t (this gives the cardinality networks of Asín et al. 2011 in
  spirit: only the comparators that can influence output t are built).
- `direct`: the binomial encoding without auxiliary variables (every t-subset
  implies y; y implies every (n-t+1)-subset has a true literal); used by
  `cnf.py` only for tiny gates such as the 3-input majority of a full adder.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

from .gates import and_value, monotone_ite_value, or_value, tie_clauses


def _reify(count, lits, t, y, pool) -> list:
    lits = list(lits)
    n = len(lits)
    if t <= 0:
        return [[y]]
    if t > n:
        return [[-y]]
    if t > n - t + 1:
        lits, t, y = [-a for a in lits], n - t + 1, -y
    clauses = []
    value = count(lits, t, pool, clauses)
    return clauses + tie_clauses(y, value)


def direct_size(n: int, t: int) -> int:
    """Number of clauses `direct` produces for n inputs and threshold t."""
    if t <= 0 or t > n:
        return 1
    return comb(n, t) + comb(n, n - t + 1)


def direct(lits, t, y, pool) -> list:
    """Binomial encoding: C(n, t) + C(n, n-t+1) clauses, no auxiliary variable."""
    lits = list(lits)
    n = len(lits)
    if t <= 0:
        return [[y]]
    if t > n:
        return [[-y]]
    clauses = [[-a for a in subset] + [y] for subset in combinations(lits, t)]
    clauses += [[-y] + list(subset) for subset in combinations(lits, n - t + 1)]
    return clauses


def totalizer(lits, t, y, pool) -> list:
    """Bailleux & Boufkhad 2003 totalizer, both directions, outputs capped at t."""
    return _reify(_totalizer_count, lits, t, y, pool)


def _totalizer_count(lits, t, pool, clauses):
    return _totalizer_node(lits, t, pool, clauses)[t - 1]


def _totalizer_node(lits, t, pool, clauses) -> list:
    """Unary outputs o_1..o_m (m = min(len(lits), t)), o_j <-> (sum >= j)."""
    if len(lits) == 1:
        return [lits[0]]
    half = len(lits) // 2
    a = _totalizer_node(lits[:half], t, pool, clauses)
    b = _totalizer_node(lits[half:], t, pool, clauses)
    m = min(len(lits), t)
    out = [pool.id() for _ in range(m)]
    # a_0 = b_0 = true; a_i is false for i above the (uncapped) child's size
    for i in range(len(a) + 1):
        for j in range(len(b) + 1):
            if 1 <= i + j <= m:  # a_i and b_j imply o_{i+j}
                clause = [out[i + j - 1]]
                if i:
                    clause.append(-a[i - 1])
                if j:
                    clause.append(-b[j - 1])
                clauses.append(clause)
            if i + j + 1 <= m:  # not a_{i+1} and not b_{j+1} imply not o_{i+j+1}
                clause = [-out[i + j]]
                if i < len(a):
                    clause.append(a[i])
                if j < len(b):
                    clause.append(b[j])
                clauses.append(clause)
    return out


def seqcounter(lits, t, y, pool) -> list:
    """Sinz 2005 sequential counter with both directions:
    s[i][j] <-> s[i-1][j] OR (x_i AND s[i-1][j-1]), only for the j that can still reach t."""
    return _reify(_seqcounter_count, lits, t, y, pool)


def _seqcounter_count(lits, t, pool, clauses):
    n = len(lits)
    row = {0: True}  # s[i][j] for the current prefix; j = 0 is true, missing j above i is false
    for i, x in enumerate(lits, start=1):
        lowest = max(1, t - (n - i))
        new = {0: True}
        for j in range(lowest, min(i, t) + 1):
            new[j] = monotone_ite_value(x, row.get(j - 1, False), row.get(j, False), pool, clauses)
        row = new
    return row[t]


def sortnet(lits, t, y, pool) -> list:
    """Batcher odd-even merge sorting network (comparator = or/and pair), sorted in
    decreasing order, keeping only the gates in the cone of output t-1."""
    return _reify(_sortnet_count, lits, t, y, pool)


def batcher_comparators(size: int) -> list:
    """The comparators (i, j), i < j, of Batcher's odd-even merge sort on `size`
    (a power of two) wires (Knuth TAOCP 5.3.4, algorithm M)."""
    comparators = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        comparators.append((i + j, i + j + k))
            k //= 2
        p *= 2
    return comparators


def _sortnet_count(lits, t, pool, clauses):
    size = 1
    while size < len(lits):
        size *= 2
    comparators = batcher_comparators(size)
    # backward: which comparator outputs can reach output wire t-1
    needed = {t - 1}
    wanted = []
    for i, j in reversed(comparators):
        want = (i in needed, j in needed)
        if any(want):
            needed |= {i, j}
        wanted.append(want)
    wanted.reverse()
    # forward: max to the lower wire, min to the upper; padding wires are false
    wires = list(lits) + [False] * (size - len(lits))
    for (i, j), (want_max, want_min) in zip(comparators, wanted):
        a, b = wires[i], wires[j]
        wires[i] = or_value(a, b, pool, clauses) if want_max else None
        wires[j] = and_value(a, b, pool, clauses) if want_min else None
    return wires[t - 1]


ENCODINGS = {"totalizer": totalizer, "seqcounter": seqcounter, "sortnet": sortnet}
