"""Constant-depth threshold-circuit (TC0) references for the construction cases
(spec 4.1: each function is a builder (n, alphabet) -> netlist mapping; loading a
builder runs this file's code). Every gate is a threshold gate (or an `and`,
itself a threshold gate), and the depth does not grow with n: these are the
circuit families that Merrill & Sabharwal (TACL 2023) show log-precision
transformers reduce to.

- majority_gate: one threshold gate, depth 1.
- parity_depth2: c_k = [#1 >= k] for k = 1..n, then the alternating sum
  c_1 - c_2 + c_3 - ... >= 1 (it is 1 iff #1 is odd), depth 2.
- dyck1_depth2: bit j (prefix w_0..w_j balanced) = AND over q <= j of
  [d_q >= 0], and [d_j <= 0], where d_q = #open - #close in w_0..w_q; depth 2.
"""


def _netlist(n, alphabet, gates, outputs):
    return {"tcverify_netlist": 1, "alphabet": list(alphabet), "length": n, "gates": gates, "outputs": outputs}


def majority_gate(n, alphabet, symbol="1"):
    """#symbol > n/2, i.e. #symbol >= floor(n/2) + 1, as one threshold gate."""
    xs = [f"x[{i}][{symbol}]" for i in range(n)]
    gates = [{"id": "maj", "op": "threshold", "in": xs, "w": [1] * n, "t": n // 2 + 1}]
    return _netlist(n, alphabet, gates, ["maj"])


def parity_depth2(n, alphabet, symbol="1"):
    """#symbol odd: sum_k (-1)^(k+1) [#symbol >= k] >= 1."""
    xs = [f"x[{i}][{symbol}]" for i in range(n)]
    gates = [{"id": f"c{k}", "op": "threshold", "in": xs, "w": [1] * n, "t": k} for k in range(1, n + 1)]
    gates.append({"id": "odd", "op": "threshold", "in": [f"c{k}" for k in range(1, n + 1)],
                  "w": [1 if k % 2 else -1 for k in range(1, n + 1)], "t": 1})
    return _netlist(n, alphabet, gates, ["odd"])


def dyck1_depth2(n, alphabet, open="(", close=")"):
    """n outputs (outputs: every): bit j = the prefix w_0..w_j is balanced."""
    gates, outputs = [], []
    for j in range(n):
        ins = [f"x[{q}][{open}]" for q in range(j + 1)] + [f"x[{q}][{close}]" for q in range(j + 1)]
        up = [1] * (j + 1) + [-1] * (j + 1)
        gates.append({"id": f"nonneg{j}", "op": "threshold", "in": ins, "w": up, "t": 0})
        gates.append({"id": f"nonpos{j}", "op": "threshold", "in": ins, "w": [-u for u in up], "t": 0})
        gates.append({"id": f"ok{j}", "op": "and", "in": [f"nonneg{q}" for q in range(j + 1)] + [f"nonpos{j}"]})
        outputs.append(f"ok{j}")
    return _netlist(n, alphabet, gates, outputs)
