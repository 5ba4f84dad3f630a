"""The batch evaluator agrees with the exact one, bit for bit."""

import itertools
import random

import numpy as np
import pytest
from random_models import random_float_format, random_format, random_transformer
from tcverify.kinds.circuit.builtins import FAMILIES, builtin_netlist
from tcverify.core.models import Attention, Circuit, Dfa, Head, Readout, Transformer
from tcverify import kinds
from tcverify.kinds import run_batch
from tcverify.core.number_format import NumberFormat, paper_float
from tcverify.kinds.transformer.batch import _norm_dtype


def all_words(alphabet, n):
    return np.array(list(itertools.product(range(len(alphabet)), repeat=n)), dtype=np.int64).reshape(len(alphabet) ** n, n)


def assert_agree(model, alphabet, outputs, lengths):
    for n in lengths:
        words = all_words(alphabet, n)
        got = run_batch(model, words, alphabet, outputs)
        want = [kinds.run(model, [alphabet[s] for s in w], alphabet, outputs) for w in words]
        assert got.dtype == np.uint8
        assert got.tolist() == want, f"length {n}"


@pytest.mark.parametrize("seed", range(12))
def test_random_transformers_match_exact(seed):
    rng = random.Random(seed)
    alphabet = ("a", "b") if seed % 3 else ("a", "b", "c")
    model = random_transformer(rng, alphabet, max_length=8)
    outputs = "every" if seed % 2 else "last"
    top = 8 if len(alphabet) == 2 else 5
    low = 0 if model.bos or model.eos else 1
    assert_agree(model, alphabet, outputs, range(low, top + 1 if seed < 4 else 6))


def test_each_head_type_and_activation_covered():
    """Force every head type with both masks and every activation at least once."""
    rng = random.Random(99)
    for kind in ("softmax", "hard", "average"):
        for mask in ("causal", "none"):
            model = random_transformer(rng, ("0", "1"), head_types=(kind,), masks=(mask,), n_blocks=2)
            assert_agree(model, ("0", "1"), "every", range(1, 6))
    for activation in ("relu", "identity", "step", "sigmoid", "tanh", "gelu", "gelu_new", "exp"):
        model = random_transformer(rng, ("0", "1"), activations=(activation,), n_blocks=3)
        assert_agree(model, ("0", "1"), "last", range(1, 6))


@pytest.mark.parametrize("bits", [6, 14, 20, 31])
def test_wide_formats_agree(bits):
    """I = F = bits: float64 products (6), limbs (14: scores near 2^53), limbs and
    scores beyond int64 (20), values near int64's end (31): every path exact."""
    rng = random.Random(5 + bits)
    wide = NumberFormat(bits, bits)
    model = random_transformer(rng, ("0", "1"), number_format=wide, param_format=wide, head_types=("softmax", "average"))
    assert_agree(model, ("0", "1"), "every", range(1, 6))


@pytest.mark.parametrize("seed", range(16))
def test_random_float_and_layer_norm_transformers_match_exact(seed):
    """Float number/param formats (spec 2.1, in every pairing with fixed point) and
    layer norms (blocks and pre-norms, spec 3.3): every string of small lengths."""
    rng = random.Random(1000 + seed)
    alphabet = ("a", "b") if seed % 3 else ("a", "b", "c")
    outputs = "every" if seed % 2 else "last"

    def draw():
        fmt = random_format(rng) if seed % 4 == 3 else random_float_format(rng)
        pfmt = rng.choice((fmt, random_float_format(rng), random_format(rng)))
        return random_transformer(rng, alphabet, number_format=fmt, param_format=pfmt, layer_norms=0.4,
                                  d_model=rng.randint(2, 3), max_length=8)

    model = informative(draw, alphabet, outputs)
    low = 0 if model.bos or model.eos else 1
    assert_agree(model, alphabet, outputs, range(low, (7 if len(alphabet) == 2 else 5)))


def informative(draw, alphabet, outputs, tries=30):
    """The first model `draw()` gives whose outputs differ between strings of length 4
    (random models are often constant; those would test little)."""
    for _ in range(tries):
        model = draw()
        if len({tuple(bits) for bits in run_batch(model, all_words(alphabet, 4), alphabet, outputs).tolist()}) > 1:
            return model
    raise AssertionError("no model with varying outputs")


def test_layer_norm_int64_and_object_paths():
    """A small layer-norm model runs on int64 (the root by float estimate and integer
    correction), a wide one on Python ints; both agree with the exact evaluator."""
    rng = random.Random(8)
    small = informative(lambda: random_transformer(rng, ("0", "1"), number_format=NumberFormat(3, 3),
                                                   param_format=NumberFormat(3, 3), layer_norms=0.7, n_blocks=3,
                                                   d_model=3), ("0", "1"), "every")
    assert _norm_dtype(small) is np.int64
    assert_agree(small, ("0", "1"), "every", range(1, 7))
    wide = informative(lambda: random_transformer(rng, ("0", "1"), number_format=paper_float(16),
                                                  param_format=paper_float(12), layer_norms=0.7, n_blocks=3,
                                                  d_model=3), ("0", "1"), "every")
    assert _norm_dtype(wide) is object
    assert_agree(wide, ("0", "1"), "every", range(1, 6))


def test_4096_strings_of_length_12_against_a_sample():
    """All strings of length 12 at once (the speed is measured in bench/batch.py)."""
    rng = random.Random(1)
    fmt = NumberFormat(4, 4)
    model = random_transformer(rng, ("0", "1"), d_model=4, n_blocks=2, number_format=fmt, param_format=fmt,
                               head_types=("softmax",), positional="none")
    words = all_words(("0", "1"), 12)
    bits = run_batch(model, words, ("0", "1"), "last")
    sample = rng.sample(range(len(words)), 40)
    for b in sample:
        assert bits[b].tolist() == kinds.run(model, ["01"[s] for s in words[b]], ("0", "1"), "last")


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("outputs", ["last", "every"])
def test_builtin_netlists_match_direct_evaluator(family, outputs):
    """batch evaluates a built-in through its netlist; evaluate.run uses the direct evaluator."""
    alphabet = ("(", ")") if family == "dyck1" else ("a", "b", "c")
    params = {"open": "(", "close": ")"} if family == "dyck1" else {"symbol": "b"}
    if family == "count_at_least":
        params["k"] = 2
    model = Circuit("builtin", "<test>", lambda n: builtin_netlist(family, params, n, alphabet, outputs), family, params)
    assert_agree(model, alphabet, outputs, range(0, 7 if len(alphabet) == 2 else 5))


def test_count_at_least_nonpositive_k_accepts_everything():
    params = {"symbol": "a", "k": 0}
    model = Circuit("builtin", "<test>", lambda n: builtin_netlist("count_at_least", params, n, ("a", "b"), "last"),
                    "count_at_least", params)
    assert_agree(model, ("a", "b"), "last", range(0, 4))
    assert run_batch(model, all_words(("a", "b"), 0), ("a", "b"), "last").tolist() == [[1]]


def test_dfa_with_missing_transitions():
    dfa = Dfa("<test>", "s", frozenset({"s", "t"}), {"s": {"a": "t"}, "t": {"b": "s"}})
    for outputs in ("last", "every"):
        assert_agree(dfa, ("a", "b"), outputs, range(0, 7))
    assert run_batch(dfa, np.array([[1, 0]]), ("a", "b"), "every").tolist() == [[0, 0]]


def test_hand_built_model_values():
    """A fixed model computed by hand: average of (+1/-1) over a causal prefix, read by sign."""
    fmt = NumberFormat(4, 4)
    one, zero = 16, 0  # grid indices of 1 and 0 (F = 4)
    head = Head("average", "causal", ((zero, zero),), ((zero, zero),), ((one, zero),), ((zero,), (one,)),
                (zero,), (zero,), (zero,))
    model = Transformer("<test>", fmt, fmt, 2, {"0": (-one, zero), "1": (one, zero)},
                        (Attention((head,), (zero, zero)),), Readout("threshold", ((zero, one),), (zero,)))
    words = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 1], [1, 0, 0]])
    assert run_batch(model, words, ("0", "1"), "every").tolist() == [[1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 0, 0]]
    assert [kinds.run(model, ["01"[s] for s in w], ("0", "1"), "every") for w in words] == [[1, 1, 1], [0, 0, 0], [1, 0, 1], [1, 0, 0]]

