"""The layering of tcverify's modules: every `import` and `from ... import` (at
module level and inside functions) is parsed with `ast` and resolved to a module
of the package. Each subpackage imports only the ones below it (`MAY_IMPORT`),
the ground floor (`core`, `errors`) imports no stage, and the graph has no cycle.
Also: every package folder is listed in pyproject.toml, so an ordinary install
has all of it."""

import ast
import importlib
import os
import re
import tomllib

import click

from conftest import ROOT


def packages() -> dict:
    """Package name -> its folder, from pyproject.toml (as installed)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        names = tomllib.load(handle)["tool"]["setuptools"]["packages"]
    return {name: os.path.dirname(importlib.import_module(name).__file__) for name in names}


def modules() -> dict:
    """Module name -> source file, for every module of every package."""
    found = {}
    for package, folder in packages().items():
        for file in os.listdir(folder):
            if file.endswith(".py"):
                stem = file[:-3]
                found[package if stem == "__init__" else f"{package}.{stem}"] = os.path.join(folder, file)
    return found


def imports(name: str, path: str, known=()) -> set:
    """Every module name the module `name` (file `path`) imports, resolved to
    absolute names; `from pkg import x` counts pkg.x when that is a module of
    `known` (or `known` is empty), else pkg."""
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                module = f"{base}.{alias.name}"
                targets.add(module if module in known else base)
                if not known:
                    targets.add(module)
    return targets


def imported(name: str, path: str, known) -> set:
    """The modules of `known` that the module `name` imports."""
    return {target for target in imports(name, path, known) if target in known and target != name}


def find_cycle(graph: dict):
    """One cycle of `graph` as a list of nodes, or None (depth-first search)."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_no_import_cycle():
    known = modules()
    graph = {name: imported(name, path, known) for name, path in known.items()}
    assert sum(len(edges) for edges in graph.values()) > 50  # the parser does see the imports
    assert graph["tcverify.commands.sweep"] >= {"tcverify.api"}
    assert graph["tcverify.kinds"] >= {"tcverify.kinds.transformer", "tcverify.kinds.kind"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


# subpackage (or top-level module) -> what it may import besides itself; bottom to top
GROUND = {"errors", "core"}
MAY_IMPORT = {
    "errors": set(),
    "core": {"errors"},
    "casefile": GROUND,
    "semantics": GROUND,
    "encodings": GROUND,
    "exporters": GROUND,
    "lowering": GROUND | {"semantics"},
    "kinds": GROUND | {"casefile", "semantics", "lowering"},
    "proving": GROUND | {"casefile", "semantics", "lowering", "encodings", "exporters", "kinds"},
    "api": GROUND | {"casefile", "semantics", "lowering", "encodings", "exporters", "kinds", "proving"},
    "commands": GROUND | {"api", ""},
    "__main__": {"commands"},
}


def layer(module: str) -> str:
    """The subpackage (or top-level module) of a tcverify module; "" for the package root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_layers_import_only_downward():
    known = modules()
    assert set(MAY_IMPORT) >= {layer(name) for name in known if layer(name)}, "a subpackage without a row in MAY_IMPORT"
    for name, path in known.items():
        mine = layer(name)
        if not mine:
            continue  # the package root: the version and the front door's names
        allowed = MAY_IMPORT[mine] | {mine}
        wrong = {target for target in imported(name, path, known) if layer(target) not in allowed}
        assert not wrong, f"{name} ({mine}) imports {sorted(wrong)}, above its layer"


def test_layering_rule_catches_an_upward_import():
    assert layer("tcverify.core.models") == "core" and layer("tcverify.kinds.transformer.load") == "kinds"
    assert "kinds" not in MAY_IMPORT["lowering"] and "proving" not in MAY_IMPORT["kinds"]
    assert not MAY_IMPORT["core"] - {"errors"}


def test_library_is_free_of_the_cli():
    """Only `commands/` (and `python -m tcverify`) use the CLI and output libraries."""
    for name, path in modules().items():
        if name.startswith("tcverify.commands") or name == "tcverify.__main__":
            continue
        cli = {t for t in imports(name, path) if t.startswith("tcverify.commands") or t.split(".")[0] in ("click", "rich", "matplotlib")}
        assert not cli, f"{name} imports {sorted(cli)}"


def test_find_cycle_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_every_package_folder_is_in_pyproject():
    listed = {os.path.realpath(folder) for folder in packages().values()}
    for top in ("verifier", "encodings"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            if "__init__.py" in files:
                assert os.path.realpath(folder) in listed, f"{folder} is not in pyproject.toml's packages"


def is_empty_package(path: str) -> bool:
    """An __init__.py with nothing but (at most) a docstring."""
    body = ast.parse(open(path).read()).body
    return path.endswith("__init__.py") and all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def test_architecture_lists_every_module():
    """docs/architecture.md has a row for every module of the tree, and none that is gone."""
    with open(os.path.join(ROOT, "docs", "architecture.md")) as handle:
        rows = [line.split("|")[1] for line in handle if line.startswith("| `")]
    listed = set()
    for cell in rows:
        for name in re.findall(r"`([\w/]+\.py)`", cell):
            top = name.split("/")[0]
            listed.add(name if top in ("verifier", "encodings") else f"verifier/{name}")
    tree = {os.path.relpath(path, ROOT) for path in modules().values() if not is_empty_package(path)}
    assert not tree - listed, f"modules without a row in docs/architecture.md: {sorted(tree - listed)}"
    assert not listed - tree, f"rows in docs/architecture.md for modules that do not exist: {sorted(listed - tree)}"


def test_architecture_names_the_reader_of_every_cli_flag():
    """docs/architecture.md's table "Where each CLI flag is read" has a row for
    every argument and option of every command."""
    from tcverify.commands.cli import main

    with open(os.path.join(ROOT, "docs", "architecture.md")) as handle:
        text = handle.read().split("## Where each CLI flag is read", 1)[1]
    documented = set()
    for line in text.splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) > 3:
            for command in re.findall(r"`([\w-]+)`", cells[1]):
                documented.update((command, flag) for flag in re.findall(r"`([\w-]+)`", cells[2]))
    assert len(documented) > 40
    missing = []
    for name, command in main.commands.items():
        for param in command.params:
            names = param.opts if isinstance(param, click.Option) else [param.name.upper()]
            if not any((name, flag) in documented for flag in names):
                missing.append(f"{name} {names[0]}")
    assert not missing, f"flags without a row in docs/architecture.md: {missing}"
