"""The gate ops are defined once (`core/gate_ops.py`) and every pass over gates
is a walker (`core/walker.py`): a walker that misses an op cannot be defined,
and the passes agree gate by gate with the exact evaluator, on every assignment
of small fan-ins."""

import itertools

import aiger as py_aiger
import numpy as np
import pytest
from pysat.formula import IDPool
from pysat.solvers import Solver
from tcverify.kinds.circuit.load import parse_netlist
from tcverify.core.models import Gate, Netlist
from tcverify.core import ir
from tcverify.core.gate_ops import IR_OPS, NETLIST_OPS, SOURCE_OPS, majority_threshold
from tcverify.core.walker import IrWalker, NetlistWalker
from tcverify.encodings import cnf
from tcverify.exporters import aiger as aiger_lowering
from tcverify.exporters import netlist as netlist_writer
from tcverify.kinds.circuit import batch, evaluate, lower
from tcverify.proving import sweeping


def handlers(ops, leave_out=None) -> dict:
    return {f"walk_{op}": (lambda self, gate, ins: None) for op in ops if op != leave_out}


@pytest.mark.parametrize("family, ops", [(IrWalker, IR_OPS), (NetlistWalker, NETLIST_OPS)])
def test_a_walker_missing_an_op_cannot_be_defined(family, ops):
    type("Complete", (family,), handlers(ops))  # every op handled: defined
    for op in ops:
        with pytest.raises(TypeError, match=f"does not handle the gate ops {op} "):
            type("Partial", (family,), handlers(ops, leave_out=op))
    with pytest.raises(TypeError, match="does not handle"):
        type("NotCallable", (family,), handlers(ops) | {f"walk_{ops[0]}": 1})


def test_a_walker_visits_in_topological_order():
    """A subclass's values are those of its handlers, inputs first (here: depths)."""
    circuit = ir.GateCircuit(2, "ab")
    x, y = circuit.input(0, "a"), circuit.input(1, "b")
    top = circuit.or_(circuit.and_(x, y), circuit.not_(x))
    assert circuit.depths()[top] == 2 and circuit.depths()[circuit.not_(x)] == 0


def test_netlist_and_ir_ops_relate():
    """Majority is netlist only (a threshold in the IR), input IR only (a wire)."""
    assert set(NETLIST_OPS) - {"majority"} == set(IR_OPS) - {"input"}
    assert set(SOURCE_OPS) <= set(IR_OPS)
    assert len(set(NETLIST_OPS)) == len(NETLIST_OPS) and len(set(IR_OPS)) == len(IR_OPS)


@pytest.mark.parametrize("m", range(0, 8))
def test_majority_threshold_is_strict_majority(m):
    for ones in range(m + 1):
        assert (ones >= majority_threshold(m)) == (2 * ones > m)


def spec_value(gate, values) -> int:
    """A netlist gate's value as spec 4.1 defines it."""
    if gate.op == "threshold":
        return int(sum(w * v for w, v in zip(gate.weights, values)) >= gate.t)
    if gate.op == "majority":
        return int(2 * sum(values) > len(values))
    return {"and": lambda: int(all(values)), "or": lambda: int(any(values)), "not": lambda: 1 - values[0],
            "xor": lambda: sum(values) % 2, "const": lambda: gate.value}[gate.op]()


def small_gates():
    """One gate of each netlist op for each fan-in the op admits (up to 3),
    thresholds with weights of both signs."""
    for op in NETLIST_OPS:
        if op == "const":
            yield from (Gate("g", "const", value=v) for v in (0, 1))
        elif op == "not":
            yield Gate("g", "not", ("x[0][1]",))
        elif op == "threshold":
            for weights in [(), (2,), (-1,), (1, -2), (3, -1, 2), (1, 1, 1)]:
                for t in (-1, 0, 1, 2, 3):
                    yield Gate("g", "threshold", tuple(f"x[{i}][1]" for i in range(len(weights))), weights, t)
        else:
            for fan_in in range(4):
                yield Gate("g", op, tuple(f"x[{i}][1]" for i in range(fan_in)))


@pytest.mark.parametrize("gate", list(small_gates()), ids=lambda g: f"{g.op}{len(g.inputs)}w{g.weights}t{g.t}v{g.value}")
def test_passes_agree_with_the_exact_evaluator(gate):
    n = 3
    netlist = Netlist(("0", "1"), n, (gate,), ("g",))
    words = list(itertools.product("01", repeat=n))
    expected = [evaluate.run_netlist(netlist, w) for w in words]
    assert expected == [[spec_value(gate, [int(w[int(name[2])]) for name in gate.inputs])] for w in words]

    indices = np.array([[int(a) for a in w] for w in words])
    assert batch.run_netlist_batch(netlist, indices).astype(int).tolist() == expected

    circuit = ir.GateCircuit(n, "01")
    root, = lower.lower_netlist(netlist, circuit)
    onehot = np.stack([indices == 0, indices == 1], axis=2)
    assert circuit.evaluate(onehot, [root]).astype(int).tolist() == expected

    # sweeping's bit-parallel simulation (64 strings a word) and its copy of the circuit
    packed = sweeping.simulate(circuit, circuit.cone([root]), np.resize(indices, (64, n)))
    assert np.unpackbits(packed[root].view(np.uint8), bitorder="little")[:len(words)].tolist() == [b for [b] in expected]
    copy = ir.GateCircuit(n, "01")
    image = sweeping.Copier(copy).walk(circuit, circuit.cone([root]))
    assert copy.evaluate(onehot, [image[root]]).astype(int).tolist() == expected

    # the CNF with the inputs fixed is satisfiable and gives the gate's value (no vacuity)
    pool = IDPool()
    encoding = cnf.encode(circuit, [root] + list(circuit.inputs.values()), pool)
    with Solver(name="cadical195", bootstrap_with=encoding.clauses) as solver:
        for w, [bit] in zip(words, expected):
            fixed = [encoding.lit(circuit.input(i, a)) * (1 if w[i] == a else -1) for i in range(n) for a in "01"]
            assert solver.solve(assumptions=fixed)
            assert solver.solve(assumptions=fixed + [encoding.lit(root) * (1 if bit else -1)])
            assert not solver.solve(assumptions=fixed + [encoding.lit(root) * (-1 if bit else 1)])

    # the AIGER lowering, read back by py-aiger, gives the same bits
    aig = py_aiger.parse(aiger_lowering.lower_to_aig(circuit, [("g", root)]).to_bytes())
    for w, [bit] in zip(words, expected):
        assert aig({f"x[{i}].bit[0]": w[i] == "1" for i in range(n)})[0] == {"g": bool(bit)}

    # the netlist writer round-trips through the loader
    written = netlist_writer.to_netlist(circuit, [root])
    reread = parse_netlist(written, "<written>", ("0", "1"), n, "last")
    assert [evaluate.run_netlist(reread, w) for w in words] == expected
