"""The transformer lowering is bit-exact with the evaluators: the IR on every
string of small lengths (random and hand-written models, every head type, mask,
activation, positional kind, format option), the CNF with the inputs fixed, and
every conformance io.json sample."""

import dataclasses
import itertools
import json
import os
import random
from fractions import Fraction

import numpy as np
import pytest
from conftest import conformance_folder, conformance_names
from pysat.formula import IDPool
from pysat.solvers import Solver
from random_models import (ACTIVATIONS, HEAD_TYPES, position_only_transformer, random_float_format, random_format,
                           random_transformer)
from tcverify.kinds.case import load_case
from tcverify.core.models import Attention, Head, LayerNorm, Mlp, Positional, Readout, Transformer
from tcverify.encodings.cnf import encode
from tcverify.errors import UserError
from tcverify.core.ir import GateCircuit
from tcverify.kinds.transformer.lower import lower_transformer
from tcverify import kinds
from tcverify.kinds import run_batch
from tcverify.core.number_format import FloatFormat, NumberFormat, paper_float

BINARY = ("0", "1")
TERNARY = ("a", "b", "c")


def all_words(alphabet, n):
    return np.array(list(itertools.product(range(len(alphabet)), repeat=n)), dtype=np.int64).reshape(len(alphabet) ** n, n)


def ir_bits(model, alphabet, n, outputs, words, **options):
    circuit = GateCircuit(n, alphabet)
    roots = lower_transformer(model, circuit, outputs, **options)
    onehot = np.eye(len(alphabet), dtype=np.int8)[words].reshape(len(words), n, len(alphabet))
    return circuit.evaluate(onehot, roots).astype(int)


def check_all_strings(model, alphabet, max_n, outputs, **options):
    """The IR agrees with the batch evaluator on every string of length <= max_n."""
    for n in range(max_n + 1):
        if n == 0 and model.bos is None and model.eos is None:
            continue
        words = all_words(alphabet, n)
        expected = run_batch(model, words, alphabet, outputs)
        got = ir_bits(model, alphabet, n, outputs, words, **options)
        assert np.array_equal(got, expected), (n, options, words[np.any(got != expected, axis=1)][:3].tolist())


# -- random models ------------------------------------------------------------

@pytest.mark.parametrize("seed", range(40))
def test_random_transformers_all_strings(seed):
    """Random models over both alphabets; table_limit 1 builds everything but constants as words."""
    rng = random.Random(seed)
    alphabet = TERNARY if seed % 4 == 3 else BINARY
    model = random_transformer(rng, alphabet, max_length=6)
    outputs = rng.choice(("last", "every"))
    max_n = 3 if alphabet == TERNARY else 5
    check_all_strings(model, alphabet, max_n, outputs)
    check_all_strings(model, alphabet, max_n, outputs, table_limit=1, style=("adder", "threshold")[seed % 2])


@pytest.mark.parametrize("head_type", HEAD_TYPES)
@pytest.mark.parametrize("mask", ("causal", "none"))
def test_each_head_type_and_mask(head_type, mask):
    for seed in range(3):
        rng = random.Random(hash((head_type, mask, seed)) % 1000)
        model = random_transformer(rng, BINARY, head_types=(head_type,), masks=(mask,), n_blocks=2, d_model=2, max_length=6)
        check_all_strings(model, BINARY, 5, "every")
        check_all_strings(model, BINARY, 4, "last", table_limit=1)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_each_activation(activation):
    for seed in range(3):
        rng = random.Random(seed)
        # attention first, so the mlp also sees words, not only tables
        model = random_transformer(rng, BINARY, activations=(activation,), n_blocks=3, max_length=6)
        d, one = model.d_model, model.param_format.scale  # the grid index of 1
        mlp = Mlp(((one,) * d, (-one,) * d), (-one, one), activation, ((one, -one),) * d, (0,) * d)
        model = dataclasses.replace(model, blocks=model.blocks + (mlp,))
        check_all_strings(model, BINARY, 5, "last")
        check_all_strings(model, BINARY, 4, "every", table_limit=1)


@pytest.mark.parametrize("rounding", ("nearest_even", "floor", "truncate"))
@pytest.mark.parametrize("overflow", ("saturate", "wrap"))
def test_rounding_and_overflow_modes(rounding, overflow):
    rng = random.Random(hash((rounding, overflow)) % 1000)
    fmt = NumberFormat(3, 2, rounding, overflow)
    for param_format in (fmt, NumberFormat(2, 1, rounding, overflow), NumberFormat(3, 4, rounding, overflow)):
        model = random_transformer(rng, BINARY, number_format=fmt, param_format=param_format, n_blocks=2, max_length=6)
        check_all_strings(model, BINARY, 5, "last")
        check_all_strings(model, BINARY, 4, "last", table_limit=1)


@pytest.mark.parametrize("bos,eos", [(False, False), ("<s>", False), (False, "</s>"), ("<s>", "</s>")])
def test_bos_and_eos(bos, eos):
    for seed in range(3):
        model = random_transformer(random.Random(seed), BINARY, bos=bos, eos=eos, n_blocks=2, max_length=6)
        for outputs in ("last", "every"):
            check_all_strings(model, BINARY, 5, outputs)


# -- scores of positions alone (issue 21) ---------------------------------------------

@pytest.mark.parametrize("head_type", HEAD_TYPES)
@pytest.mark.parametrize("mask", ("causal", "none"))
def test_position_only_scores_all_strings(head_type, mask):
    """Tracr-like heads whose scores are constants per (query, key): the folded path (vectors
    as arrays, integer weights) and the table-by-table path agree with the batch evaluator on
    every string, and with the exact evaluator through the CNF at a longer length."""
    for seed in range(4):
        rng = random.Random(hash((head_type, mask, seed)) % 10_000)
        model = position_only_transformer(rng, BINARY, head_type, mask)
        for outputs in ("last", "every"):
            check_all_strings(model, BINARY, 6, outputs)
            check_all_strings(model, BINARY, 5, outputs, fold=False)
            check_all_strings(model, BINARY, 4, outputs, table_limit=1)
        for _ in range(2):
            word = [rng.choice(BINARY) for _ in range(11)]
            assert cnf_bits(model, BINARY, "every", word) == kinds.run(model, word, BINARY, "every"), word
    # values near 2^62: the folded arrays, products and weighted sums go to Python ints
    wide = position_only_transformer(random.Random(hash((head_type, mask)) % 1000), BINARY, head_type, mask,
                                     number_format=NumberFormat(8, 58))
    check_all_strings(wide, BINARY, 4, "every")


# -- hand-written models ------------------------------------------------------

def F(num, den=1):
    """The grid index of num/den at 3 fractional bits (the format of `averaging_model`)."""
    return Fraction(num * 8, den).numerator


def averaging_model(positional, mask="causal", **fields):
    """A value +-1 per symbol averaged by a head whose score prefers positions with a larger
    positional dim (bos and eos, when given, embed as 0)."""
    fmt = NumberFormat(4, 3)
    head = Head("average", mask, wq=((F(0), F(0)),), wk=((F(0), F(1)),), wv=((F(1), F(0)),), wo=((F(0),), (F(1),)),
                bq=(F(1),), bk=(F(0),), bv=(F(0),))
    embedding = {"0": (F(-1), F(0)), "1": (F(1), F(0))}
    embedding.update({fields[t]: (F(0), F(0)) for t in ("bos", "eos") if t in fields})
    return Transformer("<hand>", fmt, fmt, 2, embedding, (Attention((head,), (F(0), F(0))),),
                       Readout("threshold", ((F(0), F(1)),), (F(0),)), positional, **fields)


def test_positional_table_and_expressions():
    table = Positional("table", table=tuple((F(0), F(k % 3, 2)) for k in range(7)))
    check_all_strings(averaging_model(table), BINARY, 6, "every")
    check_all_strings(averaging_model(table, mask="none"), BINARY, 6, "last", table_limit=1)
    exprs = Positional("expr", exprs=(lambda i, n, N: 0.0, lambda i, n, N: (i % 2) / (n + 1)), sources=("0", "(i % 2)/(n+1)"))
    check_all_strings(averaging_model(exprs), BINARY, 6, "every")
    check_all_strings(averaging_model(exprs, mask="none", bos="<s>", eos="</s>"), BINARY, 5, "every", table_limit=1)


def test_positional_errors_propagate():
    short = averaging_model(Positional("table", table=((F(0), F(0)),) * 3))
    lower_transformer(short, GateCircuit(3, BINARY), "last")
    with pytest.raises(UserError, match="positional table has 3 rows"):
        lower_transformer(short, GateCircuit(4, BINARY), "last")
    failing = averaging_model(Positional("expr", exprs=(lambda i, n, N: 0.0, lambda i, n, N: 1 / (n - 2)), sources=("0", "1/(n-2)")))
    with pytest.raises(UserError, match="fails at"):
        lower_transformer(failing, GateCircuit(2, BINARY), "last")
    with pytest.raises(UserError, match="length 0"):
        lower_transformer(averaging_model(Positional()), GateCircuit(0, BINARY), "last")


def test_values_of_few_symbols_stay_tables():
    """Under a causal mask position 0 sees only w_0, so its bit is an OR of input selectors
    (no arithmetic at all); lowering again builds no new gate (structural hashing)."""
    model = random_transformer(random.Random(7), BINARY, masks=("causal",), bos=False, eos=False, n_blocks=3, max_length=6)
    circuit = GateCircuit(6, BINARY)
    first = lower_transformer(model, circuit, "every")
    assert circuit.gates[first[0]].op in ("const", "input", "not", "or")
    size = len(circuit.gates)
    assert lower_transformer(model, circuit, "every") == first and len(circuit.gates) == size


# -- through the CNF ----------------------------------------------------------

def cnf_bits(model, alphabet, outputs, word, **options):
    """Output bits read from a CaDiCaL model of the CNF with the input fixed to `word`."""
    n = len(word)
    circuit = GateCircuit(n, alphabet)
    roots = lower_transformer(model, circuit, outputs, **options)
    pool = IDPool()
    encoding = encode(circuit, roots + list(circuit.inputs.values()), pool)
    units = [[encoding.lit(circuit.input(i, a)) if a == word[i] else -encoding.lit(circuit.input(i, a))]
             for i in range(n) for a in alphabet]
    with Solver(name="cadical195", bootstrap_with=encoding.clauses + units) as solver:
        assert solver.solve(), "the CNF with a concrete input is unsatisfiable"
        true = {lit for lit in solver.get_model() if lit > 0}
    return [int(encoding.lit(r) in true) if encoding.lit(r) > 0 else int(-encoding.lit(r) not in true) for r in roots]


@pytest.mark.parametrize("seed", range(8))
def test_cnf_with_fixed_inputs(seed):
    rng = random.Random(100 + seed)
    alphabet = TERNARY if seed % 3 == 2 else BINARY
    model = random_transformer(rng, alphabet, max_length=8)
    outputs = rng.choice(("last", "every"))
    for n in (3, 6) if alphabet == BINARY else (2, 4):
        for _ in range(3):
            word = [rng.choice(alphabet) for _ in range(n)]
            assert cnf_bits(model, alphabet, outputs, word) == kinds.run(model, word, alphabet, outputs), word


# -- float formats and layer norm (spec 2.1, 3.3) ------------------------------------


def float_model(seed, norms=False, fixed=False):
    """A random model in a random small float format (`fixed`: a fixed-point one), its
    param format the same or another random float format, with layer norm blocks and
    pre-norms if `norms`."""
    rng = random.Random(7000 + seed)
    alphabet = TERNARY if seed % 4 == 3 else BINARY

    def small():
        return random_float_format(rng, significand_bits=(1, 3), exponent_min=(-3, 0), top=2)

    fmt = random_format(rng) if fixed else small()
    pfmt = fmt if rng.random() < 0.5 else small()
    model = random_transformer(rng, alphabet, max_length=6, number_format=fmt, param_format=pfmt,
                               layer_norms=0.5 if norms else 0.0)
    return rng, alphabet, model


@pytest.mark.parametrize("seed", range(24))
def test_float_transformers_all_strings(seed):
    """Random float models: the IR (both styles, with and without rewriting, all words) agrees
    with the batch evaluator on every string of small lengths."""
    rng, alphabet, model = float_model(seed)
    outputs = rng.choice(("last", "every"))
    max_n = 3 if alphabet == TERNARY else 5
    check_all_strings(model, alphabet, max_n, outputs)
    check_all_strings(model, alphabet, max_n, outputs, table_limit=1, style=("adder", "threshold")[seed % 2],
                      rewrite=seed % 3 != 0)


@pytest.mark.parametrize("seed", range(24))
def test_layer_norm_transformers_all_strings(seed):
    """Random models with layer norm blocks and pre-norms, in float (even seeds) and fixed
    point (odd seeds) number formats."""
    rng, alphabet, model = float_model(seed, norms=True, fixed=seed % 2 == 1)
    outputs = rng.choice(("last", "every"))
    max_n = 2 if alphabet == TERNARY else 4
    check_all_strings(model, alphabet, max_n, outputs)
    check_all_strings(model, alphabet, max_n, outputs, table_limit=1, style=("adder", "threshold")[(seed // 2) % 2])


@pytest.mark.parametrize("seed", range(8))
def test_float_cnf_with_fixed_inputs(seed):
    """The CNF of a float / layer-norm model with any concrete input fixed is satisfiable and
    gives the exact evaluator's bits (no vacuity)."""
    rng, alphabet, model = float_model(100 + seed, norms=seed % 2 == 1)
    outputs = rng.choice(("last", "every"))
    for n in (3, 5) if alphabet == BINARY else (2, 3):
        for _ in range(2):
            word = [rng.choice(alphabet) for _ in range(n)]
            assert cnf_bits(model, alphabet, outputs, word, table_limit=1) == kinds.run(model, word, alphabet, outputs), word


# -- conformance --------------------------------------------------------------

NAMES = conformance_names(with_next=True)


@pytest.mark.parametrize("name", NAMES)
def test_conformance_samples_through_the_ir(conformance_dir, name):
    folder = conformance_folder(name)
    case = load_case(os.path.join(folder, name, name + ".yaml"), warn=lambda message: None)
    with open(os.path.join(folder, name, name + ".io.json")) as handle:
        samples = json.load(handle)
    for side in ("left", "right"):
        model = getattr(case, side)
        if not isinstance(model, Transformer):
            continue
        for n in sorted({len(s["input"]) for s in samples}):
            group = [s for s in samples if len(s["input"]) == n]
            words = np.array([[case.alphabet.index(a) for a in s["input"]] for s in group], dtype=np.int64).reshape(len(group), n)
            got = ir_bits(model, case.alphabet, n, case.outputs, words)
            assert got.tolist() == [s[side] for s in group], (side, n)
        word = samples[-1]["input"]
        assert cnf_bits(model, case.alphabet, case.outputs, word) == samples[-1][side]


# -- categorical readouts --------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_argmax_readouts_all_strings(seed):
    """Argmax readouts (one bit, or one bit per class) on random models, ties included (small
    grids make equal class scores common): the IR, batch and exact evaluators agree."""
    rng = random.Random(1000 + seed)
    model = random_transformer(rng, BINARY, max_length=6, classes=rng.randint(2, 4))
    outputs = ("last", "every")[seed % 2]
    check_all_strings(model, BINARY, 4, outputs)
    check_all_strings(model, BINARY, 3, outputs, table_limit=1)
    words = all_words(BINARY, 3)
    exact = [kinds.run(model, [BINARY[i] for i in w], BINARY, outputs) for w in words]
    assert run_batch(model, words, BINARY, outputs).tolist() == exact


def test_argmax_takes_the_first_maximum():
    """Three classes scoring (h0, h0, -h0): on a tie class 0 wins, as jnp.argmax."""
    fmt = NumberFormat(4, 0)
    readout = Readout("argmax", ((1,), (1,), (-1,)), (0, 0, 0), None, ("x", "y", "z"))
    model = Transformer("<hand>", fmt, fmt, 1, {"0": (-1,), "1": (1,)}, (), readout)
    assert kinds.run(model, ["1"], BINARY, "last") == [1, 0, 0]
    assert kinds.run(model, ["0"], BINARY, "last") == [0, 0, 1]
    one_bit = dataclasses.replace(model, readout=dataclasses.replace(readout, accept=(1, 2)))
    assert kinds.run(one_bit, ["1", "0"], BINARY, "every") == [0, 1]
    check_all_strings(model, BINARY, 3, "every")
    check_all_strings(one_bit, BINARY, 3, "every")


# -- layer norm's values through the IR (spec 3.3) ----------------------------------


def norm_values_through_the_ir(fmt, pfmt, norm, a, b, style):
    """y of one layer norm on the input vector a (symbol 0) or b (symbol 1), each component
    a word (table_limit 1), read from the IR on both strings of length 1; and the evaluator's."""
    from tcverify.kinds.transformer.evaluate import layer_norm
    from tcverify.kinds.transformer.lower import _Lowerer
    from tcverify.lowering.values import Table
    d = len(a)
    model = Transformer("<ln>", fmt, pfmt, d, {}, (), Readout("threshold", ((0,) * d,), (0,)))
    circuit = GateCircuit(1, BINARY)
    low = _Lowerer(model, circuit, style, 1, True)
    x = [low.as_word(low._reduce(Table((0,), {("0",): ai, ("1",): bi}))) for ai, bi in zip(a, b)]
    y = [low.as_word(v) for v in low.layer_norm(norm, x)]
    values = circuit.evaluate(np.eye(2, dtype=np.int8).reshape(2, 1, 2))
    got = [[sum(int(values[s, node]) << j for j, node in enumerate(w.bits)) - (int(values[s, w.bits[-1]]) << len(w.bits))
            for w in y] for s in range(2)]
    return got, [layer_norm(model, norm, list(a))[0], layer_norm(model, norm, list(b))[0]]


def norm_edge_cases():
    """(fmt, pfmt, norm, a, b): variance 0 (s = 0, or s = sqrt(epsilon)), one nonzero
    component, roots at exact midpoints, saturated variances and outputs, float formats."""
    fx, one = NumberFormat(4, 4, "nearest_even"), 16
    ones = (one,) * 4
    yield fx, fx, LayerNorm(ones, (8, -16, 0, 4), 0), (3 * one,) * 4, (-one,) * 4  # v = 0, s = 0: R(beta)
    yield fx, fx, LayerNorm(ones, (8, -16, 0, 4), 4), (3 * one,) * 4, (5,) * 4  # v = 0, s = sqrt(epsilon)
    yield fx, fx, LayerNorm(ones, (0,) * 4, 0), (one, 0, 0, 0), (0, 0, 0, -1)  # one nonzero component
    yield fx, NumberFormat(4, 8), LayerNorm((256, 512, -256, 1), (0,) * 4, 1), (1, 0, 0, 0), (0, 0, 0, 1)
    yield fx, fx, LayerNorm((127,) * 4, (-128,) * 4, 0), (127, -128, 127, -128), (127, 127, 127, -128)  # saturation
    yield fx, fx, LayerNorm((16, 16), (0, 0), 1), (127, -128), (-128, 127)
    for mode in ("nearest_even", "floor", "truncate"):
        integers = NumberFormat(6, 0, mode)
        for q in range(4):  # v + epsilon = (2q+1)^2 / 4: the root is an exact midpoint q + 1/2
            yield integers, NumberFormat(6, 2), LayerNorm((4, 12), (2, -2), (2 * q + 1) ** 2), (0, 0), (q, -q)
    for fl in (paper_float(8), paper_float(8, "nearest_even"), FloatFormat(1, -3, 2, "floor"), FloatFormat(2, -4, 1, "truncate")):
        top, spacing = fl.kmax, fl.round_k(1)
        yield fl, fl, LayerNorm((fl.R(1), fl.R(-2)), (0, fl.R(Fraction(3, 8))), 0), (top, -top), (spacing, 0)
        yield fl, fl, LayerNorm((fl.R(1),) * 3, (0,) * 3, fl.round_k(1)), (0, 0, spacing), (top, top, -top)


@pytest.mark.parametrize("style", ("adder", "threshold"))
def test_layer_norm_edge_cases_through_the_ir(style):
    for fmt, pfmt, norm, a, b in norm_edge_cases():
        got, want = norm_values_through_the_ir(fmt, pfmt, norm, a, b, style)
        assert got == want, (fmt.describe(), pfmt.describe(), norm, a, b)


@pytest.mark.parametrize("seed", range(12))
def test_layer_norm_values_on_random_vectors_through_the_ir(seed):
    """Random input vectors of small formats, many with equal or zero components (where the
    quotient bound of norm_bound.py is tightest)."""
    rng = random.Random(900 + seed)
    fmt = random_float_format(rng, significand_bits=(1, 3), exponent_min=(-4, 0), top=2) if seed % 2 else \
        NumberFormat(rng.randint(2, 4), rng.randint(0, 4), rng.choice(("floor", "truncate", "nearest_even")))
    pfmt = fmt if rng.random() < 0.5 else NumberFormat(3, rng.randint(0, 5))
    d = rng.randint(1, 4)

    def vector():
        picks = [fmt.round_k(rng.randint(fmt.kmin, fmt.kmax)) for _ in range(2)] + [0]
        return tuple(rng.choice(picks) for _ in range(d))

    for _ in range(6):
        span = 3 * pfmt.scale
        norm = LayerNorm(tuple(pfmt.round_k(rng.randint(-span, span)) for _ in range(d)),
                         tuple(pfmt.round_k(rng.randint(-span, span)) for _ in range(d)),
                         pfmt.round_k(rng.randint(0, pfmt.scale)) if rng.random() < 0.5 else 0)
        got, want = norm_values_through_the_ir(fmt, pfmt, norm, vector(), vector(), ("adder", "threshold")[seed % 2])
        assert got == want, (fmt.describe(), pfmt.describe(), norm)
