"""Case discovery: the case files named on the command line, a directory
standing for the case files below it; `-k` selects among them."""

from __future__ import annotations

import os
import re

import yaml

from ..errors import UserError


def case_files(paths) -> list:
    """Files as given; a directory stands for the case files below it
    (YAML files whose top level has the `tcverify` key), sorted."""
    found = []
    for path in paths:
        if not os.path.isdir(path):
            found.append(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".yaml", ".yml")) and is_case_file(os.path.join(root, name)):
                    found.append(os.path.join(root, name))
    return found


def is_case_file(path) -> bool:
    try:
        with open(path) as handle:
            top = yaml.safe_load(handle)
    except (OSError, ValueError, RecursionError, yaml.YAMLError):  # ValueError: not UTF-8, a huge integer
        return False
    return isinstance(top, dict) and "tcverify" in top


def select_cases(paths, pattern: str) -> list:
    """The paths `pattern` selects (`prove -k`): case-insensitive substrings of
    the path joined by `and`, `or`, `not` and parentheses, as pytest -k. A
    pattern that selects nothing is a UserError."""
    words = re.findall(r"\(|\)|[^\s()]+", pattern)
    if not words:
        raise UserError("an empty pattern", key="-k")
    # every word that is not an operator becomes a quoted literal: the expression holds no names
    expression = " ".join(w if w in ("and", "or", "not", "(", ")") else f"{w.lower()!r} in path" for w in words)
    try:
        selected = [path for path in paths if eval(expression, {"__builtins__": {}}, {"path": path.lower()})]
    except SyntaxError:
        raise UserError(f"{pattern!r} is not a pattern of words joined by and, or, not", key="-k") from None
    if not selected:
        raise UserError(f"none of the {len(paths)} case files matches {pattern!r}", key="-k")
    return selected
