"""Folded vectors (lowering/folding.py): folding tables into one array and unfolding it
gives back exactly the tables the table-by-table path keeps (`Values._reduce`: the
positions a value depends on, its values in product order), for int64 and Python-int
entries; `expand` and `trimmed` keep every value."""

import itertools
import random

import numpy as np
from tcverify.core.ir import GateCircuit
from tcverify.core.number_format import NumberFormat
from tcverify.lowering import folding
from tcverify.lowering.values import Table, Values, value_key


def random_table(rng, alphabet, positions, big=False):
    """A table over a random subset of `positions` whose values ignore some of them."""
    deps = tuple(sorted(rng.sample(positions, rng.randint(0, len(positions)))))
    ignored = {d for d in deps if rng.random() < 0.3}
    scale = 1 << 70 if big else 1
    base = {}
    values = {}
    for combo in itertools.product(alphabet, repeat=len(deps)):
        seen = tuple(a for d, a in zip(deps, combo) if d not in ignored)
        values[combo] = base.setdefault(seen, rng.randint(-3, 3) * scale)
    return Table(deps, values)


def test_fold_unfold_gives_the_reduced_tables():
    rng = random.Random(5)
    for alphabet in (("0", "1"), ("a", "b", "c")):
        values = Values(NumberFormat(4, 2), GateCircuit(6, alphabet), "adder", 10 ** 6, True)
        for trial in range(60):
            tables = [random_table(rng, alphabet, [0, 2, 3, 5], big=trial % 5 == 0) for _ in range(rng.randint(1, 6))]
            folded = folding.fold(tables, alphabet, 10 ** 6)
            wide = any(abs(k) >= 1 << 62 for t in tables for k in t.values.values())
            assert (folded.array.dtype == object) == wide
            got = folding.unfold(folded, alphabet)
            want = [values._reduce(t) for t in tables]
            assert [value_key(t) for t in got] == [value_key(t) for t in want]
            assert [list(t.values) for t in got] == [list(t.values) for t in want]  # the same order
            trimmed = folding.trimmed(folded.deps, folded.array, alphabet)
            assert set(trimmed.deps) == set().union(*(t.deps for t in want))
            assert [value_key(t) for t in folding.unfold(trimmed, alphabet)] == [value_key(t) for t in want]
            wider = tuple(sorted(set(folded.deps) | {1, 4}))
            expanded = folding.Folded(wider, folding.expand(folded, wider, alphabet))
            assert [value_key(t) for t in folding.unfold(expanded, alphabet)] == [value_key(t) for t in want]


def test_fold_refuses_what_is_not_small_tables():
    alphabet = ("0", "1")
    small = Table((0,), {("0",): 1, ("1",): 2})
    assert folding.fold([small, Table((3,), {("0",): 0, ("1",): 5})], alphabet, 4).deps == (0, 3)
    assert folding.fold([small, Table((3,), {("0",): 0, ("1",): 5})], alphabet, 2) is None
    assert folding.fold([small, object()], alphabet, 16) is None


def test_integers_switch_to_python_ints_beyond_int64():
    assert folding.integers([[1, -2], [3, 4]]).dtype == np.int64
    wide = folding.integers([[1, 1 << 63]])
    assert wide.dtype == object and wide[0, 1] == 1 << 63
    assert folding.integers([1 << 62]).dtype == object  # INT64_SAFE: sums of two stay exact
