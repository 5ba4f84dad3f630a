"""Property-based fuzzing of the loader (hypothesis): structural mutants of the
conformance cases — deleted keys, wrong types, huge and negative numbers,
ragged matrices, wrong shapes, bad YAML, cyclic aliases, non-UTF-8 bytes. Both
`validate` and `prove` must accept a mutant or reject it with exit 2 and one
error line: never a traceback or an internal error, never past the time limit."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONFORMANCE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcverify.commands.cli import main

NAMES = sorted(n for n in os.listdir(CONFORMANCE) if n[:2].isdigit()) if os.path.isdir(CONFORMANCE) else []
TCVERIFY = os.path.join(os.path.dirname(sys.executable), "tcverify")
PROVE_TIMEOUT = 1.0
WRONG_VALUES = [None, True, "x", "1/0", 1.5, -1, 0, -10 ** 9, 10 ** 9, 10 ** 30, [], {}, [[1, 2], [3]], {"a": 1}, [None]]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Per case: its folder and its data files (the case file first, then model,
    netlist and DFA files), each as (relative path, data, bytes)."""
    root = tmp_path_factory.mktemp("fuzz")
    found = {}
    for name in NAMES:
        folder = os.path.join(CONFORMANCE, name)
        files = [f"{name}.yaml"] + sorted(
            os.path.relpath(os.path.join(where, file), folder) for where, _, names in os.walk(folder) for file in names
            if file.endswith((".yaml", ".json")) and not file.endswith(".io.json") and file != f"{name}.yaml")
        found[name] = (folder, root, [(rel, read_any(os.path.join(folder, rel)), open(os.path.join(folder, rel), "rb").read())
                                      for rel in files])
    return found


def read_any(path):
    with open(path) as handle:
        return json.load(handle) if path.endswith(".json") else yaml.safe_load(handle)


def paths_of(data, prefix=()):
    """Every place in the data tree, as a tuple of keys and indices."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data[:8]):
            found += paths_of(value, prefix + (index,))
    return found


def mutate(data, path, kind, value):
    """`data` with one structural change at `path` (a fresh copy)."""
    data = yaml.safe_load(yaml.safe_dump(data))
    if not path:
        return value if kind == "replace" else data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "replace":
        parent[last] = value
    elif kind == "ragged" and isinstance(parent[last], list):
        parent[last] = parent[last][:-1] if len(parent[last]) > 1 else parent[last] + [0, 0]
    elif kind == "grow" and isinstance(parent[last], list):
        parent[last] = parent[last] + parent[last][-1:] * 3
    elif kind == "negate" and isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
        parent[last] = -parent[last] - 1
    elif kind == "cycle-list":  # dumped as `&id001 [*id001]`
        parent[last] = []
        parent[last].append(parent[last])
    elif kind == "cycle-map":  # dumped as `&id001 {x: *id001}`
        parent[last] = {}
        parent[last]["x"] = parent[last]
    return data


def text_mutant(text: bytes, kind: str, where: float) -> bytes:
    """Whole-file damage: truncated or corrupted YAML, non-UTF-8 bytes."""
    at = int(where * len(text))
    if kind == "truncate":
        return text[:at]
    if kind == "garbage":
        return text[:at] + b": [ {\n\t'" + text[at:]
    return text[:at] + b"\xff\xfe\x80" + text[at:]


mutations = st.tuples(st.sampled_from(["delete", "replace", "ragged", "grow", "negate", "cycle-list", "cycle-map"]),
                      st.sampled_from(WRONG_VALUES),
                      st.floats(0, 1, exclude_max=True))
text_mutations = st.tuples(st.sampled_from(["truncate", "garbage", "bytes"]), st.floats(0, 1))


def write_mutant(folders, name, target, mutation, text_mutation, use_text):
    """A fresh copy of the case's folder with one of its files damaged; the case file's path."""
    folder, root, files = folders[name]
    copy = tempfile.mkdtemp(dir=root)
    shutil.copytree(folder, copy, dirs_exist_ok=True)
    rel, data, text = files[int(target * len(files))]
    if use_text:
        content = text_mutant(text, *text_mutation)
    else:
        kind, value, pick = mutation
        places = paths_of(data)
        mutant = mutate(data, places[int(pick * len(places))], kind, value)
        try:
            content = (json.dumps(mutant) if rel.endswith(".json") else yaml.safe_dump(mutant)).encode()
        except ValueError:  # a cycle has no JSON: YAML in a .json file is a mutant too
            content = yaml.safe_dump(mutant).encode()
    with open(os.path.join(copy, rel), "wb") as handle:
        handle.write(content)
    return os.path.join(copy, f"{name}.yaml")


def check_outcome(run, accepted):
    """Exit in `accepted` with no error line, or exit 2 with exactly one."""
    errors = [line for line in run.output.splitlines() if line.startswith("tcverify: ") and "warning:" not in line]
    assert "Traceback" not in run.output and run.exception is None or isinstance(run.exception, SystemExit), run.output
    if run.exit_code == 2:
        assert len(errors) == 1 or (len(errors) == 0 and run.output.count("ERROR ") == 1), run.output
    else:
        assert run.exit_code in accepted, run.output
        assert not errors, run.output


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(name=st.sampled_from(NAMES), target=st.floats(0, 1, exclude_max=True), mutation=mutations,
       text_mutation=text_mutations, use_text=st.booleans())
def test_validate_accepts_or_rejects_in_one_line(folders, name, target, mutation, text_mutation, use_text):
    path = write_mutant(folders, name, target, mutation, text_mutation, use_text)
    start = time.monotonic()
    run = CliRunner().invoke(main, ["validate", path])
    assert time.monotonic() - start < 10
    check_outcome(run, accepted=(0,))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(name=st.sampled_from(NAMES), target=st.floats(0, 1, exclude_max=True), mutation=mutations,
       text_mutation=text_mutations, use_text=st.booleans())
def test_prove_accepts_or_rejects_in_one_line(folders, name, target, mutation, text_mutation, use_text):
    path = write_mutant(folders, name, target, mutation, text_mutation, use_text)
    start = time.monotonic()
    run = CliRunner().invoke(main, ["prove", path, "--timeout", str(PROVE_TIMEOUT)])
    assert time.monotonic() - start < PROVE_TIMEOUT + 1 + 1  # the limit, its grace, and loading in the parent
    check_outcome(run, accepted=(0, 1, 3))


@pytest.mark.parametrize("kind", ["bytes", "cycle-map"])
def test_damaged_files_through_the_real_command(folders, tmp_path, kind):
    folder, _, files = folders[NAMES[0]]
    _, data, text = files[0]
    path = tmp_path / f"damaged-{kind}.yaml"
    if kind == "bytes":
        path.write_bytes(text_mutant(text, kind, 0.5))
    else:
        path.write_text(yaml.safe_dump(mutate(data, ("left", "transformer", "blocks"), kind, None)))
    for command in (["validate", str(path)], ["prove", str(path), "--timeout", "2"]):
        run = subprocess.run([TCVERIFY, *command], capture_output=True, text=True, timeout=30)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) + len(run.stdout.strip().splitlines()) == 1, run.stdout + run.stderr
