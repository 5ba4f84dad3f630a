"""Benchmark of layer norm's lowering cost (issue 18: "layer norm at d_model 8 adds at
most 2x to a block's lowering time"): bench/floats.py's `norm_model` (an average head
and a relu MLP at d_model 8, every value a word) lowered without `norm:`, with it
(epsilon 1/4, as in floats.py) and with epsilon 0 (as trained models' 1e-5 becomes on a
coarse grid), in a float and a fixed-point format, per length; optionally the same
models lowered by another checkout's code (`--base`, e.g. main's), in a subprocess per
row so that both codes run under the same load.

Times are CPU seconds of the lowering (`time.process_time`, the least of `--repeat`
runs after a warm-up run): on the shared 2-core machine wall time varies 2x from one
run to the next, CPU time much less. Every ratio is with / without in this one run.
`--model standard` lowers instead a block of TransformerLens's default shape at d_model 8
(`floats.standard_block_model`: two softmax heads of d_head 4, d_mlp 32, gelu_new).
Run: python bench/layer_norm.py [--lengths 4,8,12,16] [--float paper_float:8] [--fixed 4.4]
[--model toy|standard] [--base CHECKOUT] [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time

from floats import markdown, norm_model, parse_format, standard_block_model
from tcverify.core.ir import GateCircuit
from tcverify.kinds.transformer.lower import lower_transformer

VARIANTS = ("without", "with", "with eps 0")


MODELS = {"toy": norm_model,  # an average head with 1-dimensional scores and a 4-unit relu MLP
          "standard": standard_block_model}  # TransformerLens's shape: 2 softmax heads of 4, d_mlp 32, gelu_new


def model(fmt, variant: str, shape: str = "toy"):
    """The `shape` model without norm, with it, or with it and epsilon 0."""
    m = MODELS[shape](fmt, variant != "without")
    if variant == "with eps 0":
        m = dataclasses.replace(m, blocks=tuple(dataclasses.replace(b, norm=dataclasses.replace(b.norm, epsilon=0))
                                                for b in m.blocks))
    return m


def lowering(m, n: int, repeat: int) -> tuple:
    """(least CPU seconds of `repeat` lowerings after a warm-up, gates)."""
    lower_transformer(m, GateCircuit(n, ("0", "1")), "last", table_limit=1)
    best = float("inf")
    for _ in range(repeat):
        circuit = GateCircuit(n, ("0", "1"))
        start = time.process_time()
        lower_transformer(m, circuit, "last", table_limit=1)
        best = min(best, time.process_time() - start)
    return best, len(circuit.gates)


def row(fmt_text: str, n: int, repeat: int, shape: str) -> dict:
    fmt = parse_format(fmt_text)
    return {v: lowering(model(fmt, v, shape), n, repeat) for v in VARIANTS}


def package_of(checkout: str, folder: str) -> str:
    """A folder holding `tcverify` as the checkout's package (verifier/ with encodings/
    inside, as pyproject.toml maps them), for PYTHONPATH."""
    top = os.path.join(folder, "tcverify")
    os.makedirs(top)
    for name in os.listdir(os.path.join(checkout, "verifier")):
        os.symlink(os.path.join(checkout, "verifier", name), os.path.join(top, name))
    os.symlink(os.path.join(checkout, "encodings"), os.path.join(top, "encodings"))
    return folder


def base_row(package: str, fmt_text: str, n: int, repeat: int, shape: str) -> dict:
    env = dict(os.environ, PYTHONPATH=package)
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--row", fmt_text, str(n), str(repeat),
                          "--model", shape],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="4,8,12,16")
    parser.add_argument("--float", default="paper_float:8")
    parser.add_argument("--fixed", default="4.4")
    parser.add_argument("--base", help="a checkout (e.g. `git worktree add /tmp/base main`) whose code is the third column")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", choices=sorted(MODELS), default="toy",
                        help="toy: floats.py's norm_model; standard: a block of TransformerLens's default shape")
    parser.add_argument("--row", nargs=3, help=argparse.SUPPRESS)  # the subprocess of --base
    args = parser.parse_args()
    if args.row:
        fmt_text, n, repeat = args.row
        print(json.dumps(row(fmt_text, int(n), int(repeat), args.model)))
        return
    lengths = [int(x) for x in args.lengths.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        package = package_of(args.base, folder) if args.base else None
        rows = []
        for fmt_text in (args.float, args.fixed):
            for n in lengths:
                here = row(fmt_text, n, args.repeat, args.model)
                cells = [parse_format(fmt_text).describe(), n, f"{here['without'][0]:.3f}", here["without"][1]]
                for v in VARIANTS[1:]:
                    cells += [f"{here[v][0]:.3f}", f"{here[v][0] / here['without'][0]:.2f}", here[v][1]]
                if package:
                    base = base_row(package, fmt_text, n, args.repeat, args.model)
                    cells += [f"{base[v][0] / base['without'][0]:.2f}" for v in VARIANTS[1:]]
                    cells += [f"{base[v][1]}" for v in VARIANTS[1:]]
                rows.append(cells)
                print(" ".join(map(str, cells)), file=sys.stderr, flush=True)
    header = ["format", "n", "without s", "gates without", "with s", "ratio", "gates", "with eps 0 s", "ratio eps 0",
              "gates eps 0"]
    if package:
        header += ["base ratio", "base ratio eps 0", "base gates", "base gates eps 0"]
    print(f"layer norm at d_model 8: CPU seconds of lowering the {args.model} model with `norm:` on both blocks "
          "against without\n")
    print(markdown(header, rows))


if __name__ == "__main__":
    main()
