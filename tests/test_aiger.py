"""AIGER export against the exact evaluators: files written by `tcverify aiger`
are read back by py-aiger (an independent reader and simulator) and by a small
decoder written here, and simulated on strings; the miter's output must be 1
exactly on the strings that separate the models."""

import os
import random
import shutil
import subprocess

import aiger
import numpy as np
import pytest
from click.testing import CliRunner
from conftest import CASES, CONFORMANCE
from tcverify.kinds.case import load_case
from tcverify.commands.cli import main
from tcverify.exporters.aiger import Aig, AigerModel, code_bits, lower_to_aig
from tcverify.core.ir import GateCircuit
from tcverify import api
from tcverify.proving.pipeline import all_words
from tcverify import kinds


def conformance(name):
    path = os.path.join(CONFORMANCE, name, name + ".yaml")
    if not os.path.exists(path):
        pytest.skip("../shared/conformance is not beside the checkout")
    return path


# -- an independent decoder of binary AIGER and a bit-parallel simulator ---------

def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def decode_binary_aiger(data: bytes):
    """(inputs, outputs [literals], ands [(lhs, rhs0, rhs1)], symbols {'i0': name}, comments)."""
    header, rest = data.split(b"\n", 1)
    kind, m, i, latches, o, a = header.split()
    m, i, latches, o, a = map(int, (m, i, latches, o, a))
    assert kind == b"aig" and latches == 0 and m == i + a
    lines = rest.split(b"\n", o)
    outputs = [int(line) for line in lines[:o]]
    body = lines[o]
    ands, pos = [], 0
    for k in range(a):
        lhs = 2 * (i + 1 + k)
        d0, pos = read_varint(body, pos)
        d1, pos = read_varint(body, pos)
        assert 0 < d0 and lhs - d0 >= lhs - d0 - d1 >= 0
        ands.append((lhs, lhs - d0, lhs - d0 - d1))
    text = body[pos:].decode()
    symbols, comments = {}, []
    lines = text.split("\n")
    c = lines.index("c")
    for line in lines[:c]:
        key, name = line.split(" ", 1)
        symbols[key] = name
    comments = [line for line in lines[c + 1:] if line]
    return i, outputs, ands, symbols, comments


def simulate(decoded, input_values: np.ndarray) -> np.ndarray:
    """Output values [batch, outputs] for input values [batch, inputs] (bool)."""
    inputs, outputs, ands, _, _ = decoded
    batch_size = input_values.shape[0]
    var = np.zeros((inputs + len(ands) + 1, batch_size), dtype=bool)
    var[1:inputs + 1] = input_values.T

    def lit(x):
        return var[x // 2] ^ bool(x & 1)

    for lhs, rhs0, rhs1 in ands:
        var[lhs // 2] = lit(rhs0) & lit(rhs1)
    return np.array([lit(x) for x in outputs]).T.reshape(batch_size, len(outputs))


def code_inputs(codes: np.ndarray, bits: int) -> np.ndarray:
    """AIG input values for symbol codes [batch, n]: bit j of position i's code."""
    batch_size, n = codes.shape
    return ((codes[:, :, None] >> np.arange(bits)) & 1).astype(bool).reshape(batch_size, n * bits)


def named_inputs(codes: list, bits: int) -> dict:
    """py-aiger's input values for one string's symbol codes."""
    return {f"x[{i}].bit[{j}]": bool(code >> j & 1) for i, code in enumerate(codes) for j in range(bits)}


def decoded_words(codes: np.ndarray, alphabet_size: int) -> np.ndarray:
    """Symbol indices: a code past the last symbol means the last symbol."""
    return np.minimum(codes, alphabet_size - 1)


# -- threshold gates as adders ----------------------------------------------------

def threshold_model(weights, t):
    aig = Aig(len(weights))
    out = aig.threshold([aig.input(k) for k in range(len(weights))], weights, t)
    return AigerModel(aig, [f"a{k}" for k in range(len(weights))], [("y", out)], [])


def test_threshold_adder_matches_arithmetic_on_every_assignment():
    rng = random.Random(3)
    for trial in range(120):
        m = rng.randint(1, 7)
        scale = rng.choice([1, 3, 2**20, 2**45 + 7])
        weights = [rng.randint(-4, 4) * rng.choice([1, scale]) for _ in range(m)]
        t = rng.randint(-3, 4) * rng.choice([1, scale]) + rng.randint(-2, 2)
        assignments = np.array([[(v >> k) & 1 for k in range(m)] for v in range(2**m)], dtype=bool)
        got = simulate(decode_binary_aiger(threshold_model(weights, t).to_bytes()), assignments)[:, 0]
        want = [sum(w for w, x in zip(weights, row) if x) >= t for row in assignments]
        assert got.tolist() == want, (weights, t)


def test_threshold_size_is_polynomial_in_the_weight_bits():
    """64 inputs with 40-bit weights: the adder grows with the bits, not the values."""
    rng = random.Random(1)
    weights = [rng.randint(2**39, 2**40) for _ in range(64)]
    ands = threshold_model(weights, sum(weights) // 2).and_count()
    assert ands < 9 * 64 * 40 + 200, ands
    unit = threshold_model([1] * 200, 101).and_count()  # majority of 200: O(m) full adders
    assert unit < 9 * 200 + 100, unit


# -- models and miters of cases, read back by py-aiger ------------------------------

MODEL_CASES = [  # (case, length): circuits, DFAs and transformers
    ("19-netlist-all-ops-vs-builder", 4),  # netlist vs Python builder, 3 symbols
    ("21-builder-parity-every", 4),  # builder, outputs every, 3 symbols
    ("24-builtin-majority-vs-count", 5),  # built-in circuit
    ("22-dyck1-vs-dfa", 6),  # transformer vs DFA
    ("23-dyck1-vs-shallow-dfa", 7),
    ("12-softmax-mask-none", 3),  # softmax transformer, 3 symbols
    ("03-bos-prefix-majority-every", 5),  # bos, outputs every
    ("06-hard-rightmost-last", 5),  # hard attention, 3 symbols
]


@pytest.mark.parametrize("name,n", MODEL_CASES)
@pytest.mark.parametrize("side", ["left", "right"])
def test_one_model_read_by_py_aiger_gives_the_evaluators_bits(tmp_path, name, n, side):
    path = conformance(name)
    case = load_case(path)
    model = api.aiger_model(load_case(path), n, side=side)
    file = tmp_path / "model.aig"
    file.write_bytes(model.to_bytes())
    circuit = aiger.load(str(file))
    bits = code_bits(len(case.alphabet))
    assert circuit.inputs == {f"x[{i}].bit[{j}]" for i in range(n) for j in range(bits)}
    names = ["accept"] if case.outputs == "last" else [f"accept[{i}]" for i in range(n)]
    assert circuit.outputs == set(names)
    rng = random.Random(n)
    for _ in range(12):
        codes = [rng.randrange(2**bits) for _ in range(n)]  # unused codes included
        word = [case.alphabet[min(c, len(case.alphabet) - 1)] for c in codes]
        values, _ = circuit(named_inputs(codes, bits))
        want = kinds.run(getattr(case, side), word, case.alphabet, case.outputs)
        assert [int(values[name]) for name in names] == want, word


@pytest.mark.parametrize("path,n", [
    (os.path.join(CASES, "majority", "majority-uniform-head-f3-breaks.yaml"), 17),
    ("23-dyck1-vs-shallow-dfa", None),
    ("02-avg-majority-breaks", None),
])
def test_miter_is_one_on_a_counterexample(tmp_path, path, n):
    path = path if os.path.isabs(path) else conformance(path)
    result = api.decide_path(path)
    assert result.verdict == "counterexample"
    word = result.counterexample["input"]
    case = load_case(path)
    file = tmp_path / "miter.aig"
    file.write_bytes(api.aiger_model(load_case(path), len(word)).to_bytes())
    circuit = aiger.load(str(file))
    bits = code_bits(len(case.alphabet))
    codes = [case.alphabet.index(a) for a in word]
    values, _ = circuit(named_inputs(codes, bits))
    assert values == {"diff": True}


@pytest.mark.parametrize("name,n", [("12-softmax-mask-none", 4), ("02-avg-majority-breaks", 9),
                                    ("19-netlist-all-ops-vs-builder", 4), ("22-dyck1-vs-dfa", 8),
                                    ("21-builder-parity-every", 3)])
def test_miter_is_one_exactly_where_the_models_differ(name, n):
    """Every assignment of the AIG's inputs (all codes, unused ones too) against
    the batch evaluators on the string it encodes."""
    path = conformance(name)
    case = load_case(path)
    decoded = decode_binary_aiger(api.aiger_model(load_case(path), n).to_bytes())
    bits = code_bits(len(case.alphabet))
    codes = all_words(2**bits, n)
    diff = simulate(decoded, code_inputs(codes, bits))[:, 0]
    words = decoded_words(codes, len(case.alphabet))
    left = kinds.run_batch(case.left, words, case.alphabet, case.outputs)
    right = kinds.run_batch(case.right, words, case.alphabet, case.outputs)
    assert diff.tolist() == (left != right).any(axis=1).tolist()
    assert decoded[3]["o0"] == "diff" and any(line.startswith("length ") for line in decoded[4])


def test_one_symbol_alphabet_has_no_input_bits():
    circuit = GateCircuit(3, ("a",))
    y = circuit.and_(circuit.input(0, "a"), circuit.not_(circuit.input(2, "a")))
    z = circuit.threshold([circuit.input(1, "a"), circuit.input(2, "a")], [2, 1], 3)
    inputs, outputs, ands, symbols, _ = decode_binary_aiger(lower_to_aig(circuit, [("y", y), ("z", z)]).to_bytes())
    assert (inputs, outputs, ands) == (0, [0, 1], [])
    assert [code_bits(k) for k in (1, 2, 3, 4, 5)] == [0, 1, 2, 2, 3]


# -- the command ------------------------------------------------------------------

def test_cli_writes_the_miter_and_reports_sizes(tmp_path):
    path = conformance("22-dyck1-vs-dfa")
    out = tmp_path / "m.aig"
    result = CliRunner().invoke(main, ["aiger", path, "--length", "6", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "6 inputs" in result.output and out.read_bytes().startswith(b"aig ")
    result = CliRunner().invoke(main, ["aiger", path, "--length", "6", "--side", "right", "-o", str(out)])
    assert result.exit_code == 0 and aiger.load(str(out)).outputs == {"accept"}


def test_cli_errors_are_one_line_exit_2(tmp_path):
    path = conformance("22-dyck1-vs-dfa")
    result = CliRunner().invoke(main, ["aiger", path, "--length", "99", "-o", str(tmp_path / "m.aig")])
    assert result.exit_code == 2 and "--length" in result.output and len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(main, ["aiger", path, "--length", "3", "-o", str(tmp_path / "no" / "m.aig")])
    assert result.exit_code == 2 and "m.aig" in result.output


ABC = shutil.which("berkeley-abc") or shutil.which("abc")


@pytest.mark.skipif(ABC is None, reason="berkeley-abc is not installed")
@pytest.mark.parametrize("name,n,answer", [("22-dyck1-vs-dfa", 8, "Networks are equivalent"),
                                           ("02-avg-majority-breaks", 9, "NOT EQUIVALENT")])
def test_abc_cec_agrees(tmp_path, name, n, answer):
    file = tmp_path / "m.aig"
    file.write_bytes(api.aiger_model(load_case(conformance(name)), n).to_bytes())
    run = subprocess.run([ABC, "-c", f"&r {file}; &cec -m"], capture_output=True, text=True, timeout=60)
    assert answer in run.stdout, run.stdout
