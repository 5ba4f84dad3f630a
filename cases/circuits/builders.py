"""Netlist builders for the circuit cases (spec 4.1: a function (n, alphabet) ->
netlist mapping). Loading a builder runs this file's code."""


def _netlist(n, alphabet, gates, outputs):
    return {"tcverify_netlist": 1, "alphabet": list(alphabet), "length": n, "gates": gates, "outputs": outputs}


def _sorting_network(wires):
    """Batcher's odd-even merge sort (Knuth, TAOCP 5.3.4) on a list of wire
    names padded to a power of two; comparators are (or, and) pairs, so the
    outputs are the inputs sorted in decreasing order."""
    size = 1
    while size < len(wires):
        size *= 2
    gates = []
    lines = list(wires) + [None] * (size - len(wires))
    counter = [0]

    def comparator(i, j):
        a, b = lines[i], lines[j]
        if b is None:  # padding is 0: max = a, min = 0
            return
        if a is None:
            lines[i], lines[j] = b, None
            return
        counter[0] += 1
        hi, lo = f"max{counter[0]}", f"min{counter[0]}"
        gates.append({"id": hi, "op": "or", "in": [a, b]})
        gates.append({"id": lo, "op": "and", "in": [a, b]})
        lines[i], lines[j] = hi, lo

    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        comparator(i + j, i + j + k)
            k //= 2
        p *= 2
    return gates, lines


def majority_sorting_network(n, alphabet, symbol="1"):
    """Majority as the middle output of a sorting network: count >= floor(n/2)+1."""
    gates, lines = _sorting_network([f"x[{i}][{symbol}]" for i in range(n)])
    out = lines[n // 2]
    if out is None:
        gates.append({"id": "zero", "op": "const", "value": 0})
        out = "zero"
    return _netlist(n, alphabet, gates, [out])


def parity_xor_chain(n, alphabet, symbol="1"):
    """Parity as a chain of two-input xor gates."""
    gates, previous = [{"id": "p", "op": "const", "value": 0}], "p"
    for i in range(n):
        gates.append({"id": f"p{i}", "op": "xor", "in": [previous, f"x[{i}][{symbol}]"]})
        previous = f"p{i}"
    return _netlist(n, alphabet, gates, [previous])


def majority_with_one_flip(n, alphabet, symbol="1"):
    """Majority, except on the one string 0101...: a planted bug no sampling finds."""
    gates = [{"id": "maj", "op": "majority", "in": [f"x[{i}][{symbol}]" for i in range(n)]},
             {"id": "planted", "op": "and", "in": [f"x[{i}][{alphabet[i % 2]}]" for i in range(n)]},
             {"id": "out", "op": "xor", "in": ["maj", "planted"]}]
    return _netlist(n, alphabet, gates, ["out"])
