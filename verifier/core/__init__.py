"""The ground floor: what every stage may import and what imports no stage.

- `models.py`: the loaded case (frozen dataclasses);
- `number_format.py`: the number formats (fixed point, spec 2);
- `gate_ops.py`: the gate ops, defined once;
- `ir.py`: the gate IR (`GateCircuit`).
"""
