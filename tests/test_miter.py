"""The SAT path for circuits and DFAs against brute force: random netlists and
DFAs versus mutated copies, every string up to length 8; the shortest
counterexample length must equal the enumerated one."""

import random

import pytest
from tcverify.kinds.circuit.load import parse_netlist
from tcverify.core.models import Case, Circuit, Dfa
from tcverify import api
from tcverify.proving.pipeline import all_words
from tcverify import kinds
from tcverify.core.gate_ops import NETLIST_OPS

ALPHABET = ("a", "b", "c")


def random_netlist_spec(rng: random.Random, n: int, size: int) -> dict:
    names = [f"x[{i}][{a}]" for i in range(n) for a in ALPHABET]
    gates = []
    for k in range(size):
        op = rng.choice(NETLIST_OPS)
        gate = {"id": f"g{k}", "op": op}
        if op == "const":
            gate["value"] = rng.randint(0, 1)
        else:
            fanin = 1 if op == "not" else rng.randint(1, min(5, len(names)))
            gate["in"] = rng.sample(names, fanin)
            if op == "threshold":
                gate["w"] = [rng.randint(-3, 3) for _ in gate["in"]]
                gate["t"] = rng.randint(-2, 3)
        gates.append(gate)
        names.append(gate["id"])
    return {"tcverify_netlist": 1, "alphabet": list(ALPHABET), "length": n, "gates": gates, "outputs": [f"g{size - 1}"]}


def mutate(rng: random.Random, spec: dict) -> dict:
    spec = {**spec, "gates": [dict(g) for g in spec["gates"]]}
    gate = rng.choice(spec["gates"])
    if gate["op"] == "threshold":
        gate["t"] += rng.choice([-1, 1])
    elif gate["op"] == "const":
        gate["value"] = 1 - gate["value"]
    elif gate["op"] in ("and", "or"):
        gate["op"] = "or" if gate["op"] == "and" else "and"
    else:
        gate["op"], gate["in"] = "not", gate["in"][:1]
    return spec


def netlist_model(builder) -> Circuit:
    return Circuit("python", "<test>", lambda n: parse_netlist(builder(n), "<test>", ALPHABET, n, "last"))


def brute_force_shortest(case: Case, symbols=ALPHABET):
    """The shortest length with a separating string over `symbols`, by enumeration."""
    for n in case.lengths:
        for word in all_words(len(symbols), n):
            word = [symbols[s] for s in word]
            if kinds.run(case.left, word, ALPHABET, case.outputs) != kinds.run(case.right, word, ALPHABET, case.outputs):
                return n
    return None


def check_against_brute_force(case: Case, symbols=ALPHABET):
    result = api.decide(case, sample=False)
    shortest = brute_force_shortest(case, symbols)
    if shortest is None:
        assert result.verdict == "equivalent"
    else:
        assert result.verdict == "counterexample"
        assert result.counterexample["length"] == shortest


def netlists_vs_mutant(seed: int, size: int) -> Case:
    """A random netlist of `size` gates per length against a mutated copy, lengths 1-5."""
    specs = {}

    def original(n):
        if n not in specs:
            specs[n] = random_netlist_spec(random.Random(seed * 100 + n), n, size)
        return specs[n]

    left = netlist_model(original)
    right = netlist_model(lambda n: mutate(random.Random(seed * 7 + n), original(n)))
    return Case("<test>", "netlists", ALPHABET, (1, 2, 3, 4, 5), "last", left, right)


@pytest.mark.parametrize("seed", range(12))
def test_random_netlists_vs_mutants(seed):
    case = netlists_vs_mutant(seed, 12)
    left = case.left
    check_against_brute_force(case)
    # a model is always equivalent to itself
    assert api.decide(Case("<test>", "self", ALPHABET, (3, 4), "last", left, left), sample=False).verdict == "equivalent"


def random_dfa(rng: random.Random, states: int, holes: float) -> Dfa:
    names = [f"q{k}" for k in range(states)]
    delta = {q: {a: rng.choice(names) for a in ALPHABET[:2] if rng.random() > holes} for q in names}
    accept = frozenset(q for q in names if rng.random() < 0.5)
    return Dfa("<test>", names[0], accept, delta)


@pytest.mark.parametrize("seed", range(12))
def test_random_dfas_vs_mutants(seed):
    rng = random.Random(seed)
    left = random_dfa(rng, 4, 0.15)
    delta = {q: dict(moves) for q, moves in left.delta.items()}
    q = rng.choice(sorted(delta))
    delta[q][rng.choice(ALPHABET[:2])] = rng.choice(sorted(delta))
    right = Dfa("<test>", left.start, left.accept, delta)
    outputs = "every" if seed % 2 else "last"
    case = Case("<test>", "dfas", ALPHABET, tuple(range(0, 9)), outputs, left, right)
    # both DFAs move only on a and b, so a string with c is rejected from there on by both
    check_against_brute_force(case, symbols=ALPHABET[:2])
