"""`tcverify sweep` (commands/sweep.py) called directly: parsing --vary, the
rows of a sweep, the smallest value per length, and the plot."""

from fractions import Fraction

import pytest
from tcverify.commands.sweep import needed_value, parse_vary, plot, sweep
from tcverify.errors import UserError


@pytest.fixture
def case_path(majority_vs_count):
    """Majority against "at least k ones" (conftest), k varied: they agree at n iff k = floor(n/2) + 1."""
    return majority_vs_count


def test_parse_vary():
    assert parse_vary("left.number_format.frac_bits=2:4") == (("left", "number_format", "frac_bits"), [2, 3, 4])
    assert parse_vary("right.k=3,5,0.5") == (("right", "k"), [3, 5, Fraction(1, 2)])
    with pytest.raises(UserError, match="expected KEY=A:B") as error:
        parse_vary("right.k")
    assert error.value.key == "--vary"
    with pytest.raises(UserError, match="a range A:B"):
        parse_vary("right.k=4:2")


def test_sweep_rows(case_path):
    seen = []
    rows = sweep(case_path, ("right", "k"), [3, 4], None, on_row=seen.append)
    assert seen == rows
    three, four = rows
    assert (three.value, three.verdict, three.longest_proved) == (3, "counterexample", 5)
    assert three.shortest_counterexample["length"] == 6
    assert (four.value, four.verdict, four.longest_proved) == (4, "counterexample", None)
    assert four.shortest_counterexample["length"] == 5
    assert needed_value(rows, [5, 6, 7]) == {5: 3}


def test_sweep_max_len_and_overrides(case_path):
    """--max-len cuts the lengths; --set overrides apply to every row."""
    rows = sweep(case_path, ("right", "k"), [4], 6, overrides=[(("lengths",), [6, 7])])
    assert rows[0].verdict == "equivalent" and rows[0].longest_proved == 6


def test_needed_value_takes_the_smallest_proving_value(case_path):
    rows = sweep(case_path, ("right", "k"), [4, 5], None, overrides=[(("lengths",), [6, 7])])
    assert [(r.value, r.longest_proved) for r in rows] == [(4, 7), (5, None)]
    assert needed_value(rows, [6, 7, 8]) == {6: 4, 7: 4}


def test_plot_writes_a_png(case_path, tmp_path):
    rows = sweep(case_path, ("right", "k"), [3, 4], None)
    path = tmp_path / "sweep.png"
    plot(rows, [5, 6, 7], "right.k", "majority vs count", str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_needed_value_where_precision_grows_as_the_value_falls():
    """exponent_min: the least precise value proving n is the largest one (a float's range)."""
    from types import SimpleNamespace

    rows = [SimpleNamespace(value=v, longest_proved=2 ** -v) for v in (-1, -2, -3)]
    assert needed_value(rows, [2, 3, 4, 8]) == {2: -1, 3: -2, 4: -2, 8: -3}
