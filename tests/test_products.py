"""Exact integer matrix products (kinds/transformer/products.py) against Python ints,
on operands sized to force each path: float64 alone, limbs of one side, limbs of
both sides, and results beyond int64."""

import numpy as np
import pytest
from tcverify.core.number_format import INT64_SAFE
from tcverify.kinds.transformer import products


def exact(a, b):
    return a.astype(object) @ b.astype(object)


def operands(rng, shape_a, shape_b, bits_a, bits_b):
    def draw(shape, bits):
        if bits < 62:
            return rng.integers(-(1 << bits), (1 << bits) + 1, size=shape, dtype=np.int64)
        values = [int(rng.integers(-(1 << 30), 1 << 30)) << (bits - 30) for _ in range(int(np.prod(shape)))]
        return np.array(values, dtype=object).reshape(shape)
    a, b = draw(shape_a, bits_a), draw(shape_b, bits_b)
    a.flat[0] = -(1 << bits_a)  # the extreme magnitude occurs
    b.flat[-1] = (1 << bits_b) if bits_b < 62 else -(1 << bits_b)
    return a, b


@pytest.mark.parametrize("bits_a,bits_b", [(10, 10), (40, 6), (45, 4), (30, 30), (30, 46), (50, 11), (58, 3), (70, 20), (90, 90)])
@pytest.mark.parametrize("batched", [False, True])
def test_matmul_is_exact_on_every_path(bits_a, bits_b, batched):
    rng = np.random.default_rng(bits_a * 100 + bits_b)
    shape_a, shape_b = ((5, 7, 33), (5, 33, 9)) if batched else ((40, 33), (33, 9))
    a, b = operands(rng, shape_a, shape_b, bits_a, bits_b)
    got = products.matmul(a, b)
    want = exact(a, b)
    assert got.tolist() == want.tolist()
    if products.magnitude(a) * products.magnitude(b) * 33 < INT64_SAFE // 4:
        assert got.dtype == np.int64


def test_narrow_and_add_keep_int64_only_when_it_fits():
    big = np.array([INT64_SAFE, 1], dtype=object)
    assert products.narrow(big).dtype == object
    assert products.narrow(np.array([3, -4], dtype=object)).dtype == np.int64
    x = np.array([INT64_SAFE - 1], dtype=np.int64)
    total = products.add(x, x)
    assert total.dtype == object and total.tolist() == [2 * (INT64_SAFE - 1)]
    assert products.add(np.array([2]), np.array([3])).tolist() == [5]


def test_empty_and_zero_operands():
    assert products.matmul(np.zeros((0, 3), dtype=np.int64), np.ones((3, 2), dtype=np.int64)).shape == (0, 2)
    a = np.array([[1 << 60, -(1 << 60)]], dtype=np.int64)
    assert products.matmul(a, np.zeros((2, 2), dtype=np.int64)).tolist() == [[0, 0]]
