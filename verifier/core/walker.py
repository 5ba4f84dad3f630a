"""The one way to pass over gates: a walker (after pySMT's walkers) is a class
with one method `walk_<op>(self, gate, ins)` per gate op, returning the gate's
value from its inputs' values `ins`. A subclass that misses an op of its family
cannot be defined: the check runs when the class is created, so a new gate op
(`core/gate_ops.py`) fails at import in every pass that does not handle it.

- `IrWalker`: the ops of the gate IR (`IR_OPS`, `core/ir.py`); `walk(circuit,
  nodes, values)` visits nodes in topological order.
- `NetlistWalker`: the ops of a netlist (`NETLIST_OPS`, spec 4.1); `walk(netlist,
  values)` visits its gates, the wires `x[i][a]` already in `values`.
"""

from __future__ import annotations

from .gate_ops import IR_OPS, NETLIST_OPS


class Walker:
    """Base of the walker families; a family sets `OPS` and passes `family=True`."""

    OPS: tuple = ()

    def __init_subclass__(cls, family: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if family:
            return
        missing = [op for op in cls.OPS if not callable(getattr(cls, f"walk_{op}", None))]
        if missing:
            raise TypeError(f"{cls.__name__} does not handle the gate ops {', '.join(missing)} "
                            f"(a walker has a method walk_<op> for every op of {', '.join(cls.OPS)})")
        cls._handlers = {op: getattr(cls, f"walk_{op}") for op in cls.OPS}

    def visit(self, gate, ins):
        """The value of `gate` from its inputs' values (its op's `walk_<op>`)."""
        return self._handlers[gate.op](self, gate, ins)

    def walk_gates(self, keyed_gates, values):
        """`values[key]` for each (key, gate) in topological order; `values` holds
        the values of the gates' inputs before them. Returns `values`."""
        handlers = self._handlers  # `visit` inlined: this loop runs once per gate of every pass
        for key, gate in keyed_gates:
            values[key] = handlers[gate.op](self, gate, [values[a] for a in gate.inputs])
        return values


class IrWalker(Walker, family=True):
    """A pass over the gate IR: one `walk_<op>` per op of `IR_OPS`."""

    OPS = IR_OPS

    def walk(self, circuit, nodes, values=None):
        """The values of `nodes` (topologically ordered, e.g. `circuit.cone(...)`),
        in `values` (a dict by default; any container indexed by node)."""
        gates = circuit.gates
        return self.walk_gates(((node, gates[node]) for node in nodes), {} if values is None else values)


class NetlistWalker(Walker, family=True):
    """A pass over a netlist: one `walk_<op>` per op of `NETLIST_OPS`."""

    OPS = NETLIST_OPS

    def walk(self, netlist, values: dict) -> dict:
        """The values of every gate of `netlist`, by id, added to `values` (which
        holds the wires `x[i][a]`)."""
        return self.walk_gates(((gate.id, gate) for gate in netlist.gates), values)
