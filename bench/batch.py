"""Benchmark of the batch evaluator (kinds/<kind>/batch.py) against the exact
evaluator (kinds/<kind>/evaluate.py), which it must agree with bit for bit: the
time per string of each on the same strings, and their ratio. This is what
makes the sampling pass of `prove` cheap. (The timing once asserted in
tests/test_batch.py lives here: speed is measured, never asserted.)

- random n: a random 2-block softmax transformer (d_model 4, F = 4, the model of
  tests/test_batch.py), all 2^n binary strings; the same draw in paper_float 10
  and paper_float 16 (grids of 35 and 263 bits: the int64 bound fails, so Python
  ints), and with layer norms (spec 2.1, 3.3).
- every case of cases/ with a transformer on the left, at its longest length <= n.

Run: python bench/batch.py [--n 12] [--exact-sample 50]
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import sys
import time

import numpy as np
from rich.console import Console
from rich.table import Table
from tcverify import api
from tcverify import kinds
from tcverify.core.models import Transformer
from tcverify.kinds import run_batch
from tcverify.core.number_format import NumberFormat, paper_float

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from random_models import random_transformer  # noqa: E402


def all_words(size: int, n: int) -> np.ndarray:
    return np.indices((size,) * n).reshape(n, -1).T.astype(np.int64)


def measure(model, alphabet, words, exact_sample: int, rng: random.Random) -> dict:
    start = time.perf_counter()
    bits = run_batch(model, words, alphabet, "last")
    batch_s = time.perf_counter() - start
    sample = rng.sample(range(len(words)), min(exact_sample, len(words)))
    start = time.perf_counter()
    for b in sample:
        assert bits[b].tolist() == kinds.run(model, [alphabet[s] for s in words[b]], alphabet, "last")
    exact_s = time.perf_counter() - start
    per_batch, per_exact = batch_s / len(words), exact_s / len(sample)
    return {"strings": len(words), "batch_us": 1e6 * per_batch, "exact_us": 1e6 * per_exact, "ratio": per_exact / per_batch}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--exact-sample", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(1)
    table = Table(title="batch vs exact evaluator (time per string)")
    for column in ("model", "n", "strings", "batch µs", "exact µs", "exact / batch"):
        table.add_column(column, justify="left" if column == "model" else "right")

    def row(name, n, m):
        table.add_row(name, str(n), str(m["strings"]), f"{m['batch_us']:.1f}", f"{m['exact_us']:.0f}", f"{m['ratio']:.0f}x")

    for name, fmt, norms in (("random softmax", NumberFormat(4, 4), 0), ("  in paper_float 10", paper_float(10), 0),
                             ("  in paper_float 16", paper_float(16), 0), ("  with layer norms", NumberFormat(4, 4), 0.5),
                             ("  paper_float 10, layer norms", paper_float(10), 0.5)):
        model = random_transformer(random.Random(1), ("0", "1"), d_model=4, n_blocks=2, number_format=fmt,
                                   param_format=fmt, head_types=("softmax",), positional="none", layer_norms=norms)
        row(name, args.n, measure(model, ("0", "1"), all_words(2, args.n), args.exact_sample, rng))
    for path in sorted(glob.glob(os.path.join(ROOT, "cases", "*", "*.yaml"))):
        case = api.load(path, warn=lambda message: None)
        lengths = [n for n in case.lengths if n <= args.n]
        if isinstance(case.left, Transformer) and lengths and len(case.alphabet) ** lengths[-1] <= 1 << 16:
            n = lengths[-1]
            row(os.path.relpath(path, ROOT), n, measure(case.left, case.alphabet, all_words(len(case.alphabet), n),
                                                       args.exact_sample, rng))
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
