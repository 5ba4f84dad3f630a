"""Positional expressions (spec 3.2 and 7): a small arithmetic language checked
against an `ast` whitelist at load time and evaluated in float64 by walking the
tree. Expressions are never passed to Python's `eval`.

Allowed: numbers, `+ - * / // % **`, parentheses, unary `+`/`-`, the names
`i n N pi e`, and calls of `sin cos exp log sqrt floor ceil abs` (one argument)
and `min max` (two or more). Python's float semantics apply; evaluation raises
only ZeroDivisionError, ValueError or OverflowError (`sequence.positional_rows`
turns those into a UserError at that length).
"""

from __future__ import annotations

import ast
import math
import operator
from fractions import Fraction

from ..errors import UserError

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}

_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}

_FUNCTIONS = {
    "sin": math.sin,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "floor": lambda x: float(math.floor(x)),
    "ceil": lambda x: float(math.ceil(x)),
    "abs": abs,
}

_VARIADIC = {"min": min, "max": max}

_CONSTANTS = {"pi": math.pi, "e": math.e}

_VARIABLES = ("i", "n", "N")


def _power(a: float, b: float) -> float:
    """Python's float `**`, with a complex result (negative base, fractional
    exponent) reported as a domain error like `math.pow` does."""
    result = a**b
    if isinstance(result, complex):
        raise ValueError("negative number raised to a fractional power")
    return result


class _Reject(Exception):
    """A construct outside the whitelist; the message says which."""


def _build(node):
    """A closure env -> float for one whitelisted node (env maps i, n, N to floats)."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Reject(f"the constant {value!r} is not a number")
        try:
            number = float(value)
        except OverflowError:
            raise _Reject(f"the number {value} is too large for float64") from None
        return lambda env: number
    if isinstance(node, ast.Name):
        if node.id in _VARIABLES:
            name = node.id
            return lambda env: env[name]
        if node.id in _CONSTANTS:
            number = _CONSTANTS[node.id]
            return lambda env: number
        raise _Reject(f"unknown name {node.id!r} (allowed: i, n, N, pi, e)")
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left), _build(node.right)
        if isinstance(node.op, ast.Pow):
            return lambda env: _power(left(env), right(env))
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _Reject(f"the operator {type(node.op).__name__} is not allowed")
        return lambda env: op(left(env), right(env))
    if isinstance(node, ast.UnaryOp):
        op = _UNARY.get(type(node.op))
        if op is None:
            raise _Reject(f"the operator {type(node.op).__name__} is not allowed")
        operand = _build(node.operand)
        return lambda env: op(operand(env))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _Reject("only the functions sin cos exp log sqrt floor ceil abs min max may be called")
        name = node.func.id
        if node.keywords:
            raise _Reject(f"{name}() takes no keyword arguments")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            raise _Reject(f"{name}() takes no starred arguments")
        args = [_build(arg) for arg in node.args]
        if name in _FUNCTIONS:
            if len(args) != 1:
                raise _Reject(f"{name}() takes exactly one argument")
            function, (arg,) = _FUNCTIONS[name], args
            return lambda env: function(arg(env))
        if name in _VARIADIC:
            if len(args) < 2:
                raise _Reject(f"{name}() takes two or more arguments")
            function = _VARIADIC[name]
            return lambda env: function(*(arg(env) for arg in args))
        raise _Reject(f"the function {name!r} is not allowed (allowed: sin cos exp log sqrt floor ceil abs min max)")
    raise _Reject(f"{type(node).__name__} is not allowed in a positional expression")


def compile_expr(source, path=None, key=None):
    """Check one positional expression and return (callable (i, n, N) -> float, text).

    `source` is a string or a number (int or exact Fraction; evaluated as float64).
    A construct outside the whitelist is a UserError naming `path` and `key`.
    """
    if isinstance(source, bool) or not isinstance(source, (str, int, Fraction)):
        raise UserError(f"a positional expression must be a string or a number, not {source!r}", path, key)
    if not isinstance(source, str):
        try:
            number = float(source)
        except OverflowError:
            raise UserError(f"the number {source} is too large for float64", path, key) from None
        return (lambda i, n, N: number), str(source)
    try:
        tree = ast.parse(source.strip(), mode="eval")
        body = _build(tree.body)
    except SyntaxError as exc:
        raise UserError(f"cannot parse the expression {source!r}: {exc.msg}", path, key) from None
    except _Reject as exc:
        raise UserError(f"in the expression {source!r}: {exc}", path, key) from None
    except RecursionError:
        raise UserError(f"the expression {source!r} is nested too deeply", path, key) from None

    def evaluate(i, n, N):
        return float(body({"i": float(i), "n": float(n), "N": float(N)}))

    return evaluate, source
