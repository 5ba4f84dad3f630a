"""A RASP program from `program.json` (docs/tracr.md): the graph Tracr compiled, every
function a table, read without running any code.

Values are Python's: None, bool, int, str, tuples, and `Fraction` for a number that is
not an integer (JSON `{"fraction": "p/q"}`; a JSON float is its exact binary value).
Equality is Python's (`True == 1`), as in `rasp.evaluate`. Every node that holds
values gets a *domain*, computed here from the tables: every value `rasp.evaluate`
can give it on an input of at most `max_seq_len` tokens (a superset). The tables must
cover the domains, so the exact evaluator never meets a value it cannot map, and the
lowering can one-hot every value over its domain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction

from ...errors import InternalError, UserError

FORMAT_VERSION = 1
POSITION_OPS = ("indices", "length", "full", "constant_sop")  # SOps that do not read the tokens
SOP_OPS = ("tokens", "indices", "length", "map", "sequence_map", "linear_sequence_map", "full",
           "constant_sop", "aggregate", "selector_width")
SELECTOR_OPS = ("select", "selector_and", "selector_or", "selector_not", "constant_selector")
COMPARISONS = {
    "EQ": lambda k, q: k == q, "LT": lambda k, q: k < q, "LEQ": lambda k, q: k <= q,
    "GT": lambda k, q: k > q, "GEQ": lambda k, q: k >= q, "NEQ": lambda k, q: k != q,
    "TRUE": lambda k, q: True, "FALSE": lambda k, q: False,
}
MAX_DOMAIN = 20000  # values of one node (a mean over a large value set could blow up)
_ARGS = {  # the references each op names, and whether each is an S-Op (else a selector)
    "map": (("inner", True),), "sequence_map": (("fst", True), ("snd", True)),
    "linear_sequence_map": (("fst", True), ("snd", True)), "aggregate": (("selector", False), ("sop", True)),
    "selector_width": (("selector", False),), "select": (("keys", True), ("queries", True)),
    "selector_and": (("fst", False), ("snd", False)), "selector_or": (("fst", False), ("snd", False)),
    "selector_not": (("inner", False),),
}


def normal(v):
    """A number as int when integral (Python's 1 == 1.0 == Fraction(1)); bools stay bools."""
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    return v


def is_number(v) -> bool:
    """rasp._mean's int/bool/float (a Fraction stands for a float)."""
    return isinstance(v, (bool, int, Fraction))


def order(v):
    """A deterministic order: numbers by value, then strings, then the rest."""
    if is_number(v):
        return (0, v, repr(v))
    return (1, 0, v) if isinstance(v, str) else (2, 0, repr(v))


def show(v) -> str:
    """A value as the user wrote it in JSON."""
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, tuple):
        return "(" + ", ".join(show(x) for x in v) + ")"
    return json.dumps(v)


def same(a, b) -> bool:
    """Equal values of the same JSON type (true is not 1; the numbers 1 and 1/1 are equal)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if is_number(a) and is_number(b):
        return a == b
    return type(a) is type(b) and a == b


@dataclass
class Node:
    index: int
    id: str
    op: str
    refs: dict                  # argument name -> node id
    encoding: str | None = None
    table: dict | None = None   # map: x -> y; sequence_map: (x, y) -> z; select: (key, query) -> bool (None: undefined)
    fill: object = None         # full; aggregate: the default
    factors: tuple = ()         # linear_sequence_map: (fst_fac, snd_fac)
    constant: list | None = None
    check_length: bool = True
    comparison: str | None = None
    value_set: list | None = None   # Tracr's VALUE_SET (the compiled model's basis)
    width: int = 0                  # a selector: the most keys one query can select
    domain: list = field(default_factory=list)

    @property
    def canon(self) -> dict:
        """value -> the domain's own copy of it (KeyError: a value outside the domain, a bug)."""
        if getattr(self, "_canon", None) is None:
            self._canon = {v: v for v in self.domain}
        return self._canon

    @property
    def is_sop(self) -> bool:
        return self.op in SOP_OPS

    def position_values(self, n: int) -> list:
        """The values at the n positions of an SOp that does not read the tokens
        (`POSITION_OPS`: indices, length, full, constant_sop; None: undefined, a
        constant of another length)."""
        if self.op == "indices":
            return list(range(n))
        if self.op == "length":
            return [n] * n
        if self.op == "full":
            return [self.fill] * n
        if self.op == "constant_sop":
            return list(self.constant) if len(self.constant) == n else [None] * n
        raise InternalError(f"{self.op} is not one of {POSITION_OPS}")


@dataclass
class Program:
    path: str
    vocab: list
    max_seq_len: int
    causal: bool
    output: str
    nodes: list
    by_id: dict

    def node(self, node_id: str) -> Node:
        return self.by_id[node_id]

    @property
    def sink(self) -> Node:
        return self.by_id[self.output]


class _Where:
    def __init__(self, path):
        self.path = path

    def fail(self, message, key):
        raise UserError(message, self.path, key)


def _kind(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return f"the number {v}"
    if isinstance(v, str):
        return f"the string {v!r}"
    return "a list" if isinstance(v, list) else "an object" if isinstance(v, dict) else type(v).__name__


def decode_value(v, where: _Where, key, allow_none=True):
    """A JSON value of program.json as a Python value (module docstring)."""
    if v is None:
        if not allow_none:
            where.fail("expected a value, found null", key)
        return None
    if isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            where.fail(f"expected a finite number, found {v}", key)
        return normal(Fraction(v))
    if isinstance(v, dict) and set(v) == {"fraction"}:
        text = v["fraction"]
        if not isinstance(text, str):
            where.fail(f"expected a fraction string like \"1/3\", found {_kind(text)}", f"{key}.fraction")
        try:
            num, _, den = text.partition("/")
            value = Fraction(int(num.strip()), int(den.strip()) if den else 1)
        except (ValueError, ZeroDivisionError):
            where.fail(f"expected a fraction string like \"1/3\", found {text!r}", f"{key}.fraction")
        return normal(value)
    if isinstance(v, dict) and set(v) == {"tuple"}:
        items = v["tuple"]
        if not isinstance(items, list):
            where.fail(f"expected a list, found {_kind(items)}", f"{key}.tuple")
        return tuple(decode_value(x, where, f"{key}.tuple[{i}]") for i, x in enumerate(items))
    where.fail(f"expected a value (null, true/false, a number, a string, {{\"fraction\": \"p/q\"}} or "
               f"{{\"tuple\": [...]}}), found {_kind(v)}", key)


def _result(v, where, key):
    """A table's result: a value, or null / {"error": ...} where rasp.evaluate gives None or raises."""
    if isinstance(v, dict) and set(v) == {"error"}:
        return None
    return decode_value(v, where, key)


def token_symbol(value) -> str:
    """How a token value is named in a case's alphabet (as a JSON object key)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return show(value)


def read_program(folder: str, case_path=None, case_key=None) -> Program:
    """The program of a Tracr export folder (or a program.json file)."""
    path = folder if folder.endswith(".json") else os.path.join(folder, "program.json")
    where = _Where(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise UserError(f"no program.json in the export folder {folder} (export it with the function of "
                        f"docs/tracr.md)", case_path, case_key) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read the file: {error}", path) from None
    except json.JSONDecodeError as error:
        raise UserError(f"not JSON: {error.msg} at line {error.lineno} column {error.colno}", path) from None
    if not isinstance(data, dict):
        where.fail(f"expected a JSON object, found {_kind(data)}", "(top level)")
    version = data.get("tcverify_rasp")
    if version != FORMAT_VERSION or isinstance(version, bool):
        where.fail(f"expected the format version {FORMAT_VERSION}, found {_kind(version)}", "tcverify_rasp")
    allowed = {"tcverify_rasp", "output", "vocab", "max_seq_len", "causal", "nodes"}
    for name in data:
        if name not in allowed:
            where.fail(f"unknown key (allowed: {', '.join(sorted(allowed))})", name)
    for name in ("output", "vocab", "max_seq_len", "nodes"):
        if name not in data:
            where.fail("missing key", name)
    n_max = data["max_seq_len"]
    if not isinstance(n_max, int) or isinstance(n_max, bool) or n_max < 1:
        where.fail(f"expected a positive integer, found {_kind(n_max)}", "max_seq_len")
    causal = data.get("causal", False)
    if not isinstance(causal, bool):
        where.fail(f"expected true or false, found {_kind(causal)}", "causal")
    if not isinstance(data["vocab"], list) or not data["vocab"]:
        where.fail(f"expected a non-empty list of tokens, found {_kind(data['vocab'])}", "vocab")
    vocab = []
    for i, v in enumerate(data["vocab"]):
        value = decode_value(v, where, f"vocab[{i}]", allow_none=False)
        if any(value == u for u in vocab):
            where.fail(f"the token {show(value)} is listed twice", f"vocab[{i}]")
        vocab.append(value)
    if not isinstance(data["nodes"], list) or not data["nodes"]:
        where.fail(f"expected a non-empty list of nodes, found {_kind(data['nodes'])}", "nodes")
    nodes, by_id = [], {}
    for i, raw in enumerate(data["nodes"]):
        node = _read_node(raw, i, by_id, where, n_max, vocab)
        nodes.append(node)
        by_id[node.id] = node
    output = data["output"]
    if not isinstance(output, str) or output not in by_id:
        where.fail(f"expected the id of a node, found {_kind(output)}", "output")
    if not by_id[output].is_sop:
        where.fail(f"the output {output!r} is a selector, not an S-Op", "output")
    return Program(path, vocab, n_max, causal, output, nodes, by_id)


def _read_node(raw, i, by_id, where, n_max, vocab) -> Node:
    key = f"nodes[{i}]"
    if not isinstance(raw, dict):
        where.fail(f"expected a node object, found {_kind(raw)}", key)
    node_id, op = raw.get("id"), raw.get("op")
    if not isinstance(node_id, str) or not node_id:
        where.fail(f"expected a node id string, found {_kind(node_id)}", f"{key}.id")
    if node_id in by_id:
        where.fail(f"the id {node_id!r} is used twice", f"{key}.id")
    if op not in SOP_OPS + SELECTOR_OPS:
        where.fail(f"unknown op {_kind(op)} (ops: {', '.join(SOP_OPS + SELECTOR_OPS)})", f"{key}.op")
    key = f"nodes[{i}] ({node_id})"
    allowed = {"id", "op", "encoding", "value_set", "table", "fill", "default", "fst_fac", "snd_fac",
               "value", "check_length", "comparison"} | {name for name, _ in _ARGS.get(op, ())}
    for name in raw:
        if name not in allowed:
            where.fail(f"unknown key for a {op} node", f"{key}.{name}")
    refs = {}
    for name, want_sop in _ARGS.get(op, ()):
        ref = raw.get(name)
        if not isinstance(ref, str) or ref not in by_id:
            where.fail(f"expected the id of an earlier node, found {_kind(ref)}", f"{key}.{name}")
        if by_id[ref].is_sop != want_sop:
            where.fail(f"{ref!r} is {'a selector' if want_sop else 'an S-Op'}, expected "
                       f"{'an S-Op' if want_sop else 'a selector'}", f"{key}.{name}")
        refs[name] = ref
    node = Node(i, node_id, op, refs)
    if op in SOP_OPS:
        enc = raw.get("encoding", "categorical")
        if enc not in ("categorical", "numerical"):
            where.fail(f"expected categorical or numerical, found {_kind(enc)}", f"{key}.encoding")
        node.encoding = enc
        if "value_set" in raw:
            if not isinstance(raw["value_set"], list):
                where.fail(f"expected a list of values, found {_kind(raw['value_set'])}", f"{key}.value_set")
            node.value_set = [decode_value(v, where, f"{key}.value_set[{j}]") for j, v in enumerate(raw["value_set"])]
    dom = lambda ref: by_id[ref].domain  # noqa: E731
    if op == "tokens":
        node.domain = list(vocab)
    elif op == "indices":
        node.domain = list(range(n_max))
    elif op == "length":
        node.domain = list(range(1, n_max + 1))
    elif op == "selector_width":
        node.domain = list(range(n_max + 1))
    elif op == "full":
        if "fill" not in raw:
            where.fail("missing key", f"{key}.fill")
        node.fill = decode_value(raw["fill"], where, f"{key}.fill")
        node.domain = [] if node.fill is None else [node.fill]
    elif op in ("constant_sop", "constant_selector"):
        value = raw.get("value")
        if not isinstance(value, list):
            where.fail(f"expected a list, found {_kind(value)}", f"{key}.value")
        check = raw.get("check_length", True)
        if not isinstance(check, bool):
            where.fail(f"expected true or false, found {_kind(check)}", f"{key}.check_length")
        node.check_length = check
        if op == "constant_sop":
            node.constant = [decode_value(v, where, f"{key}.value[{j}]") for j, v in enumerate(value)]
            node.domain = _unique(v for v in node.constant if v is not None)
        else:
            rows = []
            for r, row in enumerate(value):
                if not isinstance(row, list) or not all(isinstance(b, bool) for b in row) or len(row) != len(value):
                    where.fail("expected a square matrix of true/false", f"{key}.value[{r}]")
                rows.append(list(row))
            node.constant = rows
            node.width = max([sum(row) for row in rows] or [0])
    elif op == "map":
        node.table = _table(raw, key, where, 1)
        node.domain = _image(node, [(x,) for x in dom(refs["inner"])], where, key)
    elif op == "sequence_map":
        node.table = _table(raw, key, where, 2)
        node.domain = _image(node, [(x, y) for x in dom(refs["fst"]) for y in dom(refs["snd"])], where, key)
    elif op == "linear_sequence_map":
        facs = []
        for name in ("fst_fac", "snd_fac"):
            if name not in raw:
                where.fail("missing key", f"{key}.{name}")
            fac = decode_value(raw[name], where, f"{key}.{name}", allow_none=False)
            if not is_number(fac) or isinstance(fac, bool):
                where.fail(f"expected a number, found {show(fac)}", f"{key}.{name}")
            facs.append(fac)
        node.factors = tuple(facs)
        for name in ("fst", "snd"):
            bad = next((v for v in dom(refs[name]) if not is_number(v)), None)
            if bad is not None:
                where.fail(f"the linear map's input {refs[name]!r} can take the non-number {show(bad)}", f"{key}.{name}")
        node.domain = _guard(_unique(linear(node.factors, x, y) for x in dom(refs["fst"]) for y in dom(refs["snd"])),
                             where, key)
    elif op == "aggregate":
        if "default" not in raw:
            where.fail("missing key", f"{key}.default")
        node.fill = decode_value(raw["default"], where, f"{key}.default")
        inner = dom(refs["sop"])
        values = list(inner)
        numbers = [v for v in inner if is_number(v)]
        if by_id[refs["selector"]].width > 1 and numbers:  # the mean of 2..max_seq_len selected numbers
            sums = _unique(numbers)
            for m in range(2, n_max + 1):
                sums = _guard(_unique(s + v for s in sums for v in numbers), where, key)
                values += [normal(Fraction(s) / m) for s in sums]
        if node.fill is not None:
            values.append(node.fill)
        node.domain = _guard(_unique(values), where, key)
    elif op in ("selector_and", "selector_or", "selector_not"):
        widths = [by_id[ref].width for ref in refs.values()]
        node.width = {"selector_and": min, "selector_or": lambda *w: min(sum(w), n_max),
                      "selector_not": lambda w: n_max}[op](*widths)
    elif op == "select":
        node.table = _table(raw, key, where, 2)
        node.width = n_max
        if by_id[refs["keys"]].op == "indices":  # one position per key value: at most this many
            node.width = max([sum(node.table.get((k, q)) is True for k in dom(refs["keys"]))
                              for q in dom(refs["queries"])] or [0])
        cmp = raw.get("comparison")
        if cmp is not None and cmp not in COMPARISONS:
            where.fail(f"unknown comparison {_kind(cmp)} (one of {', '.join(COMPARISONS)})", f"{key}.comparison")
        node.comparison = cmp
        for k in dom(refs["keys"]):
            for q in dom(refs["queries"]):
                if (k, q) not in node.table:
                    where.fail(f"no entry for the key {show(k)} and the query {show(q)} (values "
                               f"{refs['keys']!r} and {refs['queries']!r} can take)", f"{key}.table")
                got = node.table[k, q]
                if got is not None and not isinstance(got, bool):
                    where.fail(f"a predicate gives true, false or null, found {show(got)} for the key {show(k)} "
                               f"and the query {show(q)}", f"{key}.table")
                if cmp is not None and got is not None:
                    try:
                        want = bool(COMPARISONS[cmp](k, q))
                    except TypeError:
                        want = None
                    if want is not None and want != got:
                        where.fail(f"the table gives {show(got)} for the key {show(k)} and the query {show(q)}, "
                                   f"but {cmp} gives {show(want)}", f"{key}.table")
    return node


def linear(factors, x, y):
    return normal(Fraction(factors[0]) * x + Fraction(factors[1]) * y)


def _unique(values) -> list:
    seen = {}
    for v in values:
        seen.setdefault(v, v)  # Python equality: True and 1 are one value (the first kept)
    return sorted(seen.values(), key=order)


def _guard(values, where, key):
    if len(values) > MAX_DOMAIN:
        where.fail(f"the node can take more than {MAX_DOMAIN} values; too large for version 1", key)
    return values


def _table(raw, key, where, arity) -> dict:
    rows = raw.get("table")
    if not isinstance(rows, list):
        where.fail(f"expected a list of [{', '.join(['input'] * arity)}, result] rows, found {_kind(rows)}",
                   f"{key}.table")
    table = {}
    for r, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != arity + 1:
            where.fail(f"expected a row of {arity + 1} items, found {_kind(row)}"
                       + (f" of {len(row)}" if isinstance(row, list) else ""), f"{key}.table[{r}]")
        args = tuple(decode_value(x, where, f"{key}.table[{r}][{j}]", allow_none=False) for j, x in enumerate(row[:-1]))
        entry = args[0] if arity == 1 else args
        if entry in table:
            where.fail(f"a second row for the input {show(entry)}", f"{key}.table[{r}]")
        table[entry] = _result(row[-1], where, f"{key}.table[{r}][{arity}]")
    return table


def _image(node, inputs, where, key) -> list:
    out = []
    for args in inputs:
        entry = args[0] if len(args) == 1 else args
        if entry not in node.table:
            names = ", ".join(f"{name} {node.refs[name]!r}" for name in node.refs)
            where.fail(f"no row for the input {show(entry)} (a value of {names})", f"{key}.table")
        if node.table[entry] is not None:
            out.append(node.table[entry])
    return _guard(_unique(out), where, key)
