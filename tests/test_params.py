"""Parameters onto the param grid (casefile/params.py): the vectorised conversion of
float arrays is exactly R of spec section 2 applied to each float's exact binary value."""

import random
from fractions import Fraction

import numpy as np
import pytest
from tcverify.casefile.params import ParamRounder, float_grid
from tcverify.errors import UserError
from tcverify.core.number_format import OVERFLOW_MODES, ROUNDING_MODES, NumberFormat


def sample_floats(rng, count):
    """Floats of every scale: tiny, on and off the grid, halfway points, huge, negative zero."""
    values = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1e-300, -1e-300, 3e300, -3e300, 0.1, -0.1]
    values += [rng.uniform(-40, 40) for _ in range(count)]
    values += [rng.choice((-1, 1)) * rng.randint(0, 1 << 12) / (1 << rng.randint(0, 14)) for _ in range(count)]
    values += [float(np.float32(rng.gauss(0, 30))) for _ in range(count)]
    return np.array(values)


@pytest.mark.parametrize("rounding", ROUNDING_MODES)
@pytest.mark.parametrize("overflow", OVERFLOW_MODES)
@pytest.mark.parametrize("bits", [(4, 0), (4, 3), (8, 24), (2, 60), (40, 40)])
def test_float_grid_is_R_of_the_exact_value(rounding, overflow, bits):
    fmt = NumberFormat(*bits, rounding, overflow)
    values = sample_floats(random.Random(hash((rounding, overflow, bits)) % 1000), 60)
    k, exact = float_grid(values, fmt)
    for x, got, on_grid in zip(values.tolist(), k.tolist(), exact.tolist()):
        want = fmt.R(Fraction(x))
        assert got == want, (x, got, want)
        assert bool(on_grid) == (fmt.value(want) == Fraction(x)), x


def test_float_grid_keeps_its_shape_and_int64_when_it_fits():
    k, exact = float_grid(np.array([[0.25, -1.0], [3.0, 0.1]]), NumberFormat(4, 2))
    assert k.dtype == np.int64 and k.tolist() == [[1, -4], [12, 0]] and exact.tolist() == [[True, True], [True, False]]


def test_rounder_counts_the_largest_change_and_is_strict():
    fmt = NumberFormat(4, 2)
    rounder = ParamRounder(fmt, False, "m.yaml")
    rounder.floats(np.array([[0.1, 0.25], [100.0, 0.3]]), "w")
    assert rounder.rounded == 3 and rounder.largest[1] == "w[1][0]" and rounder.largest[0] == Fraction(100) - Fraction(31, 4)
    assert "3 parameter(s)" in rounder.warning("the model") and "w[1][0]" in rounder.warning("the model")
    with pytest.raises(UserError, match=r"w\[0\]\[0\].*not exactly representable"):
        ParamRounder(fmt, True, "m.yaml").floats(np.array([[0.1, 0.25]]), "w")
    assert ParamRounder(fmt, False, "m.yaml").warning("the model") is None
