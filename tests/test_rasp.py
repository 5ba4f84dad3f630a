"""RASP programs as models (issue 17): the program.json of every committed Tracr
export reproduces Tracr's own `rasp.evaluate` outputs (io.json); the exact
evaluator, the batch evaluator, the IR and the CNF with the input fixed agree on
every string of small lengths, undefined bits included; the semantics of the
corner cases (means, undefined values, causal evaluation, JSON types); the
don't-care bits in the miter, the enumeration and replay; and a bad program.json
is a one-line error naming the file and the key."""

import copy
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
from fractions import Fraction

import numpy as np
import pytest
from conftest import CASES
from pysat.formula import IDPool
from pysat.solvers import Solver
from tcverify import kinds
from tcverify.core.ir import GateCircuit
from tcverify.encodings.cnf import encode
from tcverify.errors import UserError
from tcverify.kinds.case import load_case
from tcverify.kinds.rasp.batch import evaluate_batch
from tcverify.kinds.rasp.evaluate import evaluate, outputs
from tcverify.kinds.rasp.lower import lower_care, lower_program
from tcverify.kinds.rasp.program import is_number, read_program, token_symbol
from tcverify import api

EXPORTS = os.path.join(CASES, "tracr", "rasp")
NAMES = sorted(name for name in os.listdir(EXPORTS) if os.path.isdir(os.path.join(EXPORTS, name)))


def words_up_to(alphabet, n_max, limit=800):
    """Every string of lengths 1..n_max, as long as a length has at most `limit` strings."""
    for n in range(1, n_max + 1):
        if len(alphabet) ** n > limit:
            return
        yield from (list(w) for w in itertools.product(alphabet, repeat=n))


# -- io.json: Tracr's own rasp.evaluate ------------------------------------------

def agrees(ours, theirs) -> bool:
    """Our exact value against a value rasp.evaluate printed (floats within 1e-9)."""
    if theirs is None or ours is None:
        return theirs is None and ours is None
    if isinstance(theirs, bool) and isinstance(ours, bool):
        return ours == theirs
    if isinstance(theirs, (int, float)) and is_number(ours):  # a mean of bools is 1.0 in Python
        return abs(Fraction(ours) - Fraction(theirs)) <= Fraction(1, 10 ** 9) * max(1, abs(Fraction(theirs)))
    return type(ours) is type(theirs) and ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_every_rasp_output_of_io_json_is_reproduced(name):
    program = read_program(os.path.join(EXPORTS, name))
    with open(os.path.join(EXPORTS, name, "io.json")) as handle:
        records = json.load(handle)["records"]
    assert records
    for record in records:
        got = outputs(program, record["input"])
        if isinstance(record["rasp"], dict):  # rasp.evaluate raised: something is undefined
            assert None in got, record
        else:
            assert len(got) == len(record["rasp"]) and all(map(agrees, got, record["rasp"])), (record, got)


# -- exact, batch, IR, CNF ---------------------------------------------------------

def ir_values(program, word_symbols, symbols, n):
    """The output's one-hot bits over its domain and undefined bit per position, from the IR,
    for all strings of length n at once."""
    alphabet = list(symbols)
    circuit = GateCircuit(n, alphabet)
    sink = lower_program(program, circuit, symbols)[program.output]
    domain = program.sink.domain
    nodes = [node for v in sink for node in [v.bits.get(d, circuit.false) for d in domain] + [v.undef]]
    onehot = np.zeros((len(word_symbols), n, len(alphabet)), dtype=np.uint8)
    for b, word in enumerate(word_symbols):
        for i, a in enumerate(word):
            onehot[b, i, alphabet.index(a)] = 1
    return circuit.evaluate(onehot, nodes).reshape(len(word_symbols), n, len(domain) + 1)


@pytest.mark.parametrize("name", NAMES)
def test_exact_batch_and_ir_agree_on_every_short_string(name):
    program = read_program(os.path.join(EXPORTS, name))
    symbols = {token_symbol(v): v for v in program.vocab}
    domain = program.sink.domain
    checked = 0
    for n in range(1, program.max_seq_len + 1):
        words = list(words_up_to(list(symbols), n, 800))
        words = [w for w in words if len(w) == n]
        if not words:
            break
        batch = evaluate_batch(program, np.array([[program.vocab.index(symbols[a]) for a in w] for w in words]))
        ir = ir_values(program, words, symbols, n)
        for b, word in enumerate(words):
            exact = outputs(program, [symbols[a] for a in word])
            want = [-1 if v is None else domain.index(v) for v in exact]
            assert list(batch[b]) == want, (word, exact)
            for i, v in enumerate(exact):
                assert bool(ir[b, i, -1]) == (v is None), (word, i)
                if v is not None:
                    assert list(np.flatnonzero(ir[b, i, :-1])) == [domain.index(v)], (word, i)
            checked += 1
    assert checked >= 100


def rasp_case(tmp_path, name, alphabet, readout, outputs_="every", left=None, lengths=None):
    """A case: the export's transformer at I=8, F=8 (or `left`) against its own program."""
    folder = os.path.join(EXPORTS, name)
    n = json.load(open(os.path.join(folder, "program.json")))["max_seq_len"]
    left = left or {"transformer": {"tracr": folder, "number_format": {"int_bits": 8, "frac_bits": 8},
                                    "readout": readout}}
    path = tmp_path / f"{name}.yaml"
    path.write_text(json.dumps({"tcverify": 1, "alphabet": alphabet, "lengths": lengths or {"min": 1, "max": n},
                                "outputs": outputs_, "left": left,
                                "right": {"rasp": {"program": folder, "readout": readout}}}))
    return str(path)


READOUTS = {  # export -> (alphabet, readout)
    "sort_unique_abc_len5": (["a", "b", "c"], "classes"),
    "reverse_abc_len5": (["a", "b", "c"], "classes"),
    "pair_balance_len6": (["(", ")"], {"threshold": 0}),
    "frac_prevs_causal_len6": (["x", "y"], {"threshold": "1/2"}),
    "detect_pattern_ab_abc_len5": (["a", "b", "c"], {"accept": [True]}),
    "sort_123_len4": (["1", "2", "3"], "classes"),
    "count_less_freq2_abc_len5": (["a", "b", "c"], "classes"),
    "length_ab_len6": (["a", "b"], "classes"),
    "hist_abc_len5": (["a", "b", "c"], "classes"),
    "shuffle_dyck2_len6": (["(", ")", "[", "]"], {"accept": [True]}),
}


def test_every_export_has_a_readout_here():
    assert set(NAMES) <= set(READOUTS)


def cnf_values(model, alphabet, outputs_, word):
    """(bits, undefined) of the rasp side read from a SAT model of its CNF with the input fixed."""
    n = len(word)
    circuit = GateCircuit(n, alphabet)
    bits, undefined = lower_care(model, circuit, outputs_)
    roots = bits + undefined
    pool = IDPool()
    encoding = encode(circuit, roots + list(circuit.inputs.values()), pool)
    units = [[encoding.lit(circuit.input(i, a)) if a == word[i] else -encoding.lit(circuit.input(i, a))]
             for i in range(n) for a in alphabet]
    with Solver(name="cadical195", bootstrap_with=encoding.clauses + units) as solver:
        assert solver.solve(), "the CNF with a concrete input is unsatisfiable"
        true = {lit for lit in solver.get_model() if lit > 0}
    value = [int(encoding.lit(r) in true) if encoding.lit(r) > 0 else int(-encoding.lit(r) not in true) for r in roots]
    return value[:len(bits)], value[len(bits):]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("outputs_", ["every", "last"])
def test_run_batch_lowering_and_cnf_agree_through_the_readout(tmp_path, name, outputs_):
    alphabet, readout = READOUTS[name]
    case = load_case(rasp_case(tmp_path, name, alphabet, readout, outputs_), warn=lambda message: None)
    model = case.right
    rng = np.random.default_rng(len(name))
    for n in range(1, model.program.max_seq_len + 1):
        words = [w for w in words_up_to(alphabet, n, 300) if len(w) == n]
        if not words:
            break
        batch = kinds.run_batch(model, np.array([[alphabet.index(a) for a in w] for w in words]), alphabet, outputs_)
        circuit = GateCircuit(n, alphabet)
        bits, undefined = lower_care(model, circuit, outputs_)
        onehot = np.zeros((len(words), n, len(alphabet)), dtype=np.uint8)
        for b, word in enumerate(words):
            for i, a in enumerate(word):
                onehot[b, i, alphabet.index(a)] = 1
        ir = circuit.evaluate(onehot, bits + undefined)
        for b, word in enumerate(words):
            exact = kinds.run(model, word, alphabet, outputs_)
            assert [kinds.UNDEFINED if x is None else x for x in exact] == list(batch[b]), word
            assert [x is None for x in exact] == list(ir[b, len(bits):]), word
            assert [x or 0 for x in exact] == [int(v) for v in ir[b, :len(bits)]], word
        for b in rng.choice(len(words), size=min(3, len(words)), replace=False):
            exact = kinds.run(model, words[b], alphabet, outputs_)
            got_bits, got_undefined = cnf_values(model, alphabet, outputs_, words[b])
            assert got_undefined == [int(x is None) for x in exact] and got_bits == [x or 0 for x in exact], words[b]


# -- semantics of the corner cases ------------------------------------------------

def program_file(tmp_path, nodes, output, vocab=("a", "b"), max_seq_len=4, causal=False, name="program.json"):
    folder = tmp_path / name.replace(".json", "")
    folder.mkdir(exist_ok=True)
    (folder / "program.json").write_text(json.dumps({
        "tcverify_rasp": 1, "output": output, "vocab": list(vocab), "max_seq_len": max_seq_len,
        "causal": causal, "nodes": nodes}))
    return str(folder)


TOKENS = {"id": "tokens", "op": "tokens", "encoding": "categorical"}
INDICES = {"id": "indices", "op": "indices", "encoding": "categorical"}


def is_x(vocab=("a", "b"), want="a", numerical=True):
    return {"id": "is_a", "op": "map", "inner": "tokens", "encoding": "numerical" if numerical else "categorical",
            "table": [[t, t == want] for t in vocab]}


def select(name, keys, queries, predicate, domain_k, domain_q):
    return {"id": name, "op": "select", "keys": keys, "queries": queries,
            "table": [[k, q, predicate(k, q)] for k in domain_k for q in domain_q]}


def test_a_numerical_mean_is_exact_and_a_single_value_keeps_its_type(tmp_path):
    folder = program_file(tmp_path, [
        TOKENS, INDICES, is_x(),
        select("prevs", "indices", "indices", lambda k, q: k <= q, range(4), range(4)),
        {"id": "frac", "op": "aggregate", "selector": "prevs", "sop": "is_a", "default": 0, "encoding": "numerical"},
    ], "frac")
    program = read_program(folder)
    got = outputs(program, ["a", "b", "b", "a"])
    assert got == [True, Fraction(1, 2), Fraction(1, 3), Fraction(1, 2)]
    assert isinstance(got[0], bool)
    assert Fraction(2, 3) in program.node("frac").domain  # a mean Tracr's value set leaves out
    assert outputs(program, ["a", "a", "b"])[1] is True  # all selected equal: the first of them


def test_a_categorical_aggregate_of_several_tokens_is_undefined_as_rasp_raises(tmp_path):
    folder = program_file(tmp_path, [
        TOKENS, INDICES,
        select("all", "indices", "indices", lambda k, q: True, range(4), range(4)),
        {"id": "agg", "op": "aggregate", "selector": "all", "sop": "tokens", "default": None},
    ], "agg")
    program = read_program(folder)
    assert outputs(program, ["a"]) == ["a"]
    assert outputs(program, ["a", "a"]) == [None, None]  # rasp._mean raises on two strings, equal or not
    assert outputs(program, ["a", "b"]) == [None, None]


def test_none_propagates_and_a_predicate_on_none_is_undefined(tmp_path):
    folder = program_file(tmp_path, [
        TOKENS, INDICES,
        select("prev", "indices", "indices", lambda k, q: q == k + 1, range(4), range(4)),
        {"id": "shift", "op": "aggregate", "selector": "prev", "sop": "tokens", "default": None},
        {"id": "up", "op": "map", "inner": "shift", "table": [["a", "A"], ["b", None]]},
        select("same", "shift", "shift", lambda k, q: k == q, "ab", "ab"),
        {"id": "width", "op": "selector_width", "selector": "same"},
    ], "width")
    program = read_program(folder)
    values = evaluate(program, ["a", "b", "a"])
    assert values["shift"] == [None, "a", "b"]
    assert values["up"] == [None, "A", None]  # a table entry None is undefined
    assert values["width"] == [None, None, None]  # the key at position 0 is None: every row raises


def test_causal_evaluation_masks_every_selector(tmp_path):
    nodes = [TOKENS, INDICES, is_x(),
             select("all", "indices", "indices", lambda k, q: True, range(4), range(4)),
             {"id": "not_all", "op": "selector_not", "inner": "all"},
             {"id": "either", "op": "selector_or", "fst": "all", "snd": "not_all"},
             {"id": "width", "op": "selector_width", "selector": "either"},
             {"id": "frac", "op": "aggregate", "selector": "all", "sop": "is_a", "default": 0, "encoding": "numerical"}]
    plain = read_program(program_file(tmp_path, nodes, "width", name="plain.json"))
    causal = read_program(program_file(tmp_path, nodes, "width", causal=True, name="causal.json"))
    assert outputs(plain, ["a", "b", "b"]) == [3, 3, 3]
    assert outputs(causal, ["a", "b", "b"]) == [1, 2, 3]
    assert evaluate(causal, ["b", "a", "a"])["frac"] == [False, Fraction(1, 2), Fraction(2, 3)]


def test_json_types_true_is_not_one_and_fractions_are_exact(tmp_path):
    folder = program_file(tmp_path, [
        {"id": "tokens", "op": "tokens"},
        {"id": "third", "op": "map", "inner": "tokens", "encoding": "numerical",
         "table": [[1, {"fraction": "1/3"}], [2, {"fraction": "2/3"}], [True, 0.5]]},
    ], "third", vocab=[1, 2, True, "1"])
    with pytest.raises(UserError, match=r"vocab\[2\]: the token true is listed twice"):
        read_program(folder)
    folder = program_file(tmp_path, [
        {"id": "tokens", "op": "tokens"},
        {"id": "third", "op": "map", "inner": "tokens", "encoding": "numerical",
         "table": [[1, {"fraction": "1/3"}], [2, {"fraction": "2/3"}], ["1", 0.5]]},
    ], "third", vocab=[1, 2, "1"], name="ok.json")
    program = read_program(folder)
    assert outputs(program, [1, "1", 2]) == [Fraction(1, 3), Fraction(1, 2), Fraction(2, 3)]
    assert [token_symbol(v) for v in program.vocab] == ["1", "2", "1"]


# -- don't care in the pipeline ------------------------------------------------------

def detect_case(tmp_path, right_readout, left_circuit):
    folder = os.path.join(EXPORTS, "detect_pattern_ab_abc_len5")
    path = tmp_path / "dc.yaml"
    path.write_text(textwrap.dedent(f"""\
        tcverify: 1
        alphabet: [a, b, c]
        lengths: {{min: 1, max: 4}}
        outputs: every
        left: {left_circuit}
        right: {{rasp: {{program: {folder}, readout: {right_readout}}}}}
        """))
    return str(path)


@pytest.mark.parametrize("method", ["sat", "exhaustive"])
def test_undefined_bits_are_not_compared(tmp_path, method):
    """detect_pattern(tokens, "ab") is None at position 0: a DFA accepting exactly the prefixes
    ending in "ab" agrees with it at every other position, whatever it says at position 0."""
    dfa = ("{dfa: {start: s, accept: [ab, x0], delta: {s: {a: a0, b: x0, c: x0}, x0: {a: a, b: n, c: n},"
           " a0: {a: a, b: ab, c: n}, a: {a: a, b: ab, c: n}, ab: {a: a, b: n, c: n}, n: {a: a, b: n, c: n}}}}")
    result = api.decide_path(detect_case(tmp_path, "{accept: [true]}", dfa), method=method)
    assert result.verdict == "equivalent", result.to_json()
    assert all(r.dont_care >= 1 for r in result.per_length)
    # the DFA accepting nothing differs at the first "ab", and the counterexample says what was not compared
    result = api.decide_path(detect_case(tmp_path, "{accept: [true]}", "{dfa: {start: s, accept: [], delta: {}}}"),
                             method=method)
    assert result.verdict == "counterexample"
    cex = result.counterexample
    assert cex["input"] == ["a", "b"] and cex["right"] == [None, 1] and cex["not_compared"] == 1
    assert cex["right_values"] == ["undefined", "True"]


# -- bad program.json: one line, file and key, exit 2 -----------------------------------

def broken_copy(tmp_path, mutate):
    folder = tmp_path / "export"
    shutil.copytree(os.path.join(EXPORTS, "reverse_abc_len5"), folder)
    data = json.load(open(folder / "program.json"))
    mutate(data)
    (folder / "program.json").write_text(json.dumps(data))
    case = tmp_path / "case.yaml"
    case.write_text("tcverify: 1\nalphabet: [a, b, c]\nlengths: {min: 1, max: 3}\n"
                    "left: {rasp: {program: export}}\nright: {rasp: {program: export}}\n")
    return str(case)


def node_of(data, op):
    return next(node for node in data["nodes"] if node["op"] == op)


BAD = {
    "version": (lambda d: d.update(tcverify_rasp=2), "tcverify_rasp: expected the format version 1"),
    "unknown key": (lambda d: d.update(extra=1), "extra: unknown key"),
    "missing row": (lambda d: node_of(d, "sequence_map")["table"].pop(), "table: no row for the input"),
    "bad value": (lambda d: node_of(d, "map")["table"][0].__setitem__(1, [1]), "table[0][1]: expected a value"),
    "bad fraction": (lambda d: node_of(d, "map")["table"][0].__setitem__(1, {"fraction": "1/0"}),
                     "table[0][1].fraction: expected a fraction string"),
    "forward reference": (lambda d: d["nodes"].reverse(), ": expected the id of an earlier node"),
    "selector as sop": (lambda d: node_of(d, "aggregate").update(sop=node_of(d, "select")["id"]),
                        "is a selector, expected an S-Op"),
    "comparison": (lambda d: node_of(d, "select")["table"][0].__setitem__(2, not node_of(d, "select")["table"][0][2]),
                   "but TRUE gives true"),
    "output": (lambda d: d.update(output="nothing"), "output: expected the id of a node"),
    "not json": (None, "not JSON"),
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_a_bad_program_json_is_one_line_naming_file_and_key(tmp_path, what):
    mutate, message = BAD[what]
    case = broken_copy(tmp_path, mutate or (lambda d: None))
    if mutate is None:
        (tmp_path / "export" / "program.json").write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "tcverify", "validate", case], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert "program.json" in lines[0] and message in lines[0], lines[0]


def test_case_errors_name_the_case_file(tmp_path):
    folder = os.path.join(EXPORTS, "hist_abc_len5")
    case = tmp_path / "case.yaml"
    for body, message in [
        ("{rasp: {program: nowhere}}", "right.rasp.program: no such export folder"),
        (f"{{rasp: {{program: {os.path.join(EXPORTS, 'reverse_abc_len5')}, readout: {{threshold: 1}}}}}}",
         "readout.threshold: the program's output can be \"a\", not a number"),
        (f"{{rasp: {{program: {folder}, readout: {{accept: [true]}}}}}}", "readout.accept[0]: the boolean True is not a value"),
        (f"{{rasp: {{program: {folder}, extra: 1}}}}", "right.rasp.extra: unknown key"),
    ]:
        case.write_text(f"tcverify: 1\nalphabet: [a, b]\nlengths: 3\nleft: {{rasp: {{program: {folder}}}}}\n"
                        f"right: {body}\n")
        with pytest.raises(UserError, match=message.replace("[", r"\[").replace("(", r"\(")):
            load_case(str(case))
    case.write_text(f"tcverify: 1\nalphabet: [a, z]\nlengths: 3\nleft: {{rasp: {{program: {folder}}}}}\n"
                    f"right: {{rasp: {{program: {folder}}}}}\n")
    with pytest.raises(UserError, match=r"alphabet\[1\]: the symbol 'z' is not a token"):
        load_case(str(case))
    case.write_text(f"tcverify: 1\nalphabet: [a, b]\nlengths: 6\nleft: {{rasp: {{program: {folder}}}}}\n"
                    f"right: {{rasp: {{program: {folder}}}}}\n")
    proc = subprocess.run([sys.executable, "-m", "tcverify", "prove", str(case)], capture_output=True, text=True)
    assert proc.returncode == 2 and "compiled for at most 5 tokens" in proc.stdout + proc.stderr


def test_simulate_marks_undefined_bits_and_shows_the_program_values():
    case = api.load(os.path.join(CASES, "tracr", "rasp-detect-pattern-ab-f4.yaml"), warn=lambda message: None)
    result = api.simulate(case, ["a", "b", "c"])
    assert result["right"] == [None, 1, 0] and result["right_values"] == ["undefined", "True", "False"]
    assert result["left_values"] == ["False", "True", "False"]
    proc = subprocess.run([sys.executable, "-m", "tcverify", "simulate",
                           os.path.join(CASES, "tracr", "rasp-detect-pattern-ab-f4.yaml"), "--input", "a,b,c"],
                          capture_output=True, text=True)
    assert "right (rasp): bits -10  read: undefined, True, False" in proc.stdout
    assert "the models agree (1 undefined bits, marked -, not compared)" in proc.stdout


def test_a_mean_of_the_numbers_among_mixed_values_is_in_the_domain(tmp_path):
    """A categorical aggregate over a value set of numbers and strings: two selected numbers
    give their mean (rasp._mean), one string passes, a string among several is undefined."""
    folder = program_file(tmp_path, [
        TOKENS, INDICES,
        {"id": "mixed", "op": "map", "inner": "tokens", "table": [["a", 1], ["b", 2], ["c", "c"]]},
        select("all", "indices", "indices", lambda k, q: True, range(3), range(3)),
        {"id": "agg", "op": "aggregate", "selector": "all", "sop": "mixed", "default": None},
    ], "agg", vocab=("a", "b", "c"), max_seq_len=3)
    program = read_program(folder)
    assert Fraction(3, 2) in program.node("agg").domain and Fraction(4, 3) in program.node("agg").domain
    assert outputs(program, ["a", "b"]) == [Fraction(3, 2)] * 2
    assert outputs(program, ["c"]) == ["c"] and outputs(program, ["a", "c"]) == [None, None]
    symbols = {"a": "a", "b": "b", "c": "c"}
    for n in (1, 2, 3):
        words = [list(w) for w in itertools.product("abc", repeat=n)]
        ir = ir_values(program, words, symbols, n)
        batch = evaluate_batch(program, np.array([["abc".index(a) for a in w] for w in words]))
        domain = program.sink.domain
        for b, word in enumerate(words):
            exact = outputs(program, word)
            assert list(batch[b]) == [-1 if v is None else domain.index(v) for v in exact], word
            for i, v in enumerate(exact):
                assert bool(ir[b, i, -1]) == (v is None), (word, i)
                if v is not None:
                    assert list(np.flatnonzero(ir[b, i, :-1])) == [domain.index(v)], (word, i)
