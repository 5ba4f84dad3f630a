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
    matches = _Pattern(words, pattern).parse()
    selected = [path for path in paths if matches(path.lower())]
    if not selected:
        raise UserError(f"none of the {len(paths)} case files matches {pattern!r}", key="-k")
    return selected


class _Pattern:
    """A recursive-descent parser of `-k` patterns into a predicate on a path:
    or-expr := and-expr ("or" and-expr)*; and-expr := unary ("and" unary)*;
    unary := "not" unary | "(" or-expr ")" | word (a substring)."""

    def __init__(self, words, text):
        self.words, self.text, self.at = words, text, 0

    def parse(self):
        test = self._or()
        if self.at != len(self.words):
            self._fail()
        return test

    def _next(self):
        word = self.words[self.at] if self.at < len(self.words) else None
        self.at += 1
        return word

    def _peek(self):
        return self.words[self.at] if self.at < len(self.words) else None

    def _fail(self):
        raise UserError(f"{self.text!r} is not a pattern of words joined by and, or, not", key="-k")

    def _or(self):
        tests = [self._and()]
        while self._peek() == "or":
            self._next()
            tests.append(self._and())
        return lambda path: any(test(path) for test in tests)

    def _and(self):
        tests = [self._unary()]
        while self._peek() == "and":
            self._next()
            tests.append(self._unary())
        return lambda path: all(test(path) for test in tests)

    def _unary(self):
        word = self._next()
        if word == "not":
            test = self._unary()
            return lambda path: not test(path)
        if word == "(":
            test = self._or()
            if self._next() != ")":
                self._fail()
            return test
        if word in (None, ")", "and", "or"):
            self._fail()
        return lambda path: word.lower() in path
