"""Shared test setup.

The conformance data (the spec's cases with expected verdicts and I/O samples)
is ../shared/conformance beside the checkout, as in CI, and
../shared/conformance-next (the cases of spec sections 2.1 and 3.3, same layout,
until they join the first folder; `with_next=True` and `conformance_folder`). Tests reach it only
through the `conformance_dir` fixture and, to parametrize, `conformance_names`
/ `conformance_expected`: when the data is missing, every test that needs it
fails with one message (`MISSING_MESSAGE`); none is skipped or silently left
out, so a green run has made all its assertions.
"""

import json
import os
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
CONFORMANCE = os.path.join(SHARED, "conformance")
CONFORMANCE_NEXT = os.path.join(SHARED, "conformance-next")
CASES = os.path.join(ROOT, "cases")
MISSING = "conformance-data-missing"  # the one parameter when the data is missing
MISSING_MESSAGE = f"the conformance data is missing: expected {CONFORMANCE} (../shared beside the checkout, as in CI)"


@pytest.fixture
def majority_vs_count(tmp_path) -> str:
    """A small case file: majority of n against "at least 3 ones", lengths 5-7.
    They agree at n = 5 only (majority is at least 3 ones there, at least 4 at 6 and 7)."""
    path = tmp_path / "majority-vs-count.yaml"
    path.write_text(textwrap.dedent("""\
        tcverify: 1
        name: majority-vs-count
        alphabet: ['0', '1']
        lengths: [5, 6, 7]
        left: {circuit: {builtin: majority, symbol: '1'}}
        right: {circuit: {builtin: count_at_least, symbol: '1', k: 3}}
        """))
    return str(path)


@pytest.fixture(scope="session")
def conformance_dir() -> str:
    """The conformance folder; fails the test when it is missing."""
    if not os.path.isdir(CONFORMANCE):
        pytest.fail(MISSING_MESSAGE, pytrace=False)
    return CONFORMANCE


def _folders(with_next: bool) -> tuple:
    return (CONFORMANCE, CONFORMANCE_NEXT) if with_next else (CONFORMANCE,)


def conformance_names(*under, with_next=False) -> list:
    """The case folders (each NAME/NAME.yaml) of the conformance data, or of its
    subfolder `under` (e.g. "bad"), with `with_next` also those of conformance-next
    (names are distinct across both); [MISSING] when the data is missing."""
    names = []
    for root in _folders(with_next):
        folder = os.path.join(root, *under)
        if not os.path.isdir(folder):
            return [MISSING]
        names += [name for name in os.listdir(folder) if os.path.isfile(os.path.join(folder, name, name + ".yaml"))]
    return sorted(names)


def conformance_folder(name, *under) -> str:
    """The folder that holds case NAME (conformance or conformance-next, then `under`)."""
    for root in _folders(True):
        if os.path.isdir(os.path.join(root, *under, name)):
            return os.path.join(root, *under)
    return os.path.join(CONFORMANCE, *under)


def conformance_expected(*under, with_next=False) -> dict:
    """expected.json of the conformance data (or of `under`), with `with_next` merged
    with conformance-next's (keys relative to their folder: see `conformance_folder`);
    {MISSING: None} when missing."""
    expected = {}
    for root in _folders(with_next):
        path = os.path.join(root, *under, "expected.json")
        if not os.path.isfile(path):
            return {MISSING: None}
        with open(path) as handle:
            expected.update(json.load(handle))
    return expected
