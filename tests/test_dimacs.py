"""`tcverify cnf` / `decode` through the front door (`api.export_cnf`,
`api.decode`; `exporters/dimacs.py`): the header, the DIMACS body against the
miter, and decoding the answer formats solvers print."""

import pytest
from pysat.formula import CNF
from pysat.solvers import Solver
from tcverify import api
from tcverify.errors import UserError
from tcverify.exporters.dimacs import read_header
from tcverify.proving.miter import decode_word


@pytest.fixture
def case_path(majority_vs_count):
    """Majority against "at least 3 ones" (conftest): at length 6 exactly three ones separate them."""
    return majority_vs_count


def written(case_path, tmp_path, n):
    out = str(tmp_path / f"miter{n}.cnf")
    stats = api.export_cnf(api.load(case_path), n, out)
    return out, stats


def model_of(path):
    with Solver(name="cadical195", bootstrap_with=CNF(from_file=path).clauses) as solver:
        return solver.get_model() if solver.solve() else None


def test_header_and_body(case_path, tmp_path):
    out, stats = written(case_path, tmp_path, 6)
    cnf = CNF(from_file=out)
    assert (cnf.nv, len(cnf.clauses)) == (stats["variables"], stats["clauses"])
    path, n, inputs = read_header(out)
    assert (path, n) == (case_path, 6)
    assert sorted(inputs) == [(i, a) for i in range(6) for a in "01"]
    assert len(set(inputs.values())) == 12 and max(inputs.values()) <= cnf.nv


def test_decode_a_counterexample(case_path, tmp_path):
    out, _ = written(case_path, tmp_path, 6)
    model = model_of(out)
    n, cex = api.decode(out, "s SATISFIABLE\nv " + " ".join(map(str, model)) + " 0\n")
    assert n == 6 and cex["length"] == 6
    word = cex["input"]
    assert len(word) == 6 and word.count("1") == 3  # the only strings that separate the models
    assert cex["left"] == [0] and cex["right"] == [1]
    # bare literals, as some solvers print them, in several lines
    half = len(model) // 2
    assert api.decode(out, " ".join(map(str, model[:half])) + "\n" + " ".join(map(str, model[half:])))[1] == cex


@pytest.mark.parametrize("answer", ["s UNSATISFIABLE\n", "UNSAT\n", "c solver output\ns UNSATISFIABLE"])
def test_decode_unsat(case_path, tmp_path, answer):
    out, _ = written(case_path, tmp_path, 5)
    assert model_of(out) is None
    assert api.decode(out, answer) == (5, None)


def test_decode_rejects_what_is_not_a_model(case_path, tmp_path):
    out, _ = written(case_path, tmp_path, 6)
    _, _, inputs = read_header(out)
    with pytest.raises(UserError, match="not a solver model line") as error:
        api.decode(out, "v 1 2 x 0")
    assert error.value.path == "model"  # the answer file
    both = " ".join(str(inputs[0, a]) for a in "01")
    with pytest.raises(UserError, match="sets 2 symbols at position 0: not a model of this CNF"):
        api.decode(out, f"v {both} 0")


def test_header_errors(case_path, tmp_path):
    plain = tmp_path / "plain.cnf"
    plain.write_text("p cnf 1 1\n1 0\n")
    with pytest.raises(UserError, match="not a CNF written by `tcverify cnf`"):
        read_header(str(plain))
    with pytest.raises(UserError, match="cannot read"):
        read_header(str(tmp_path / "missing.cnf"))
    with pytest.raises(UserError, match="length 9 is not among the case's lengths"):
        api.export_cnf(api.load(case_path), 9, str(tmp_path / "x.cnf"))


def test_decode_word():
    input_lits = {(0, "a"): 1, (0, "b"): 2, (1, "a"): 3, (1, "b"): 4}
    assert decode_word({2, 3}, input_lits, "ab", 2) == ["b", "a"]
    assert decode_word(set(), input_lits, "ab", 0) == []
    with pytest.raises(ValueError, match="sets 0 symbols at position 1"):
        decode_word({1}, input_lits, "ab", 2)
