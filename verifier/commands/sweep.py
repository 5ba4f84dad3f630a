"""`tcverify sweep`: how the verdict moves with one parameter, e.g. the number of
fraction bits. For each value: the longest length up to which every length is
proved, and the shortest counterexample. The plot shows the precision needed
against the input length — logarithmic in n for MAJORITY by one uniform head,
the precision regime of Merrill & Sabharwal (TACL 2023)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from .. import api
from ..api import Verdict, parse_override, parse_range
from ..errors import UserError
from .plotting import pyplot, save


@dataclass
class SweepRow:
    value: object
    verdict: Verdict
    longest_proved: Optional[int]  # every listed length up to it is proved (lengths are decided in order)
    shortest_counterexample: Optional[dict]
    time_s: float


def parse_vary(text: str) -> tuple:
    """"left.number_format.frac_bits=2:12" -> (keys, [2, ..., 12]); a comma list is taken as is."""
    keys, _ = parse_override(text.split("=", 1)[0] + "=")
    if "=" not in text:
        raise UserError(f"expected KEY=A:B, got {text!r}", key="--vary")
    values = text.split("=", 1)[1]
    if "," in values:
        return keys, [parse_override("k=" + v)[1] for v in values.split(",")]
    return keys, parse_range(values, "--vary")


def sweep(case_path: str, keys: tuple, values, max_len: Optional[int], overrides=(), on_row=None,
          timeout: Optional[float] = None, **settings) -> list:
    """One row per value of `keys`, the case decided in this process with the
    pipeline's `settings` (`api.stages`) and a time limit per value."""
    rows = []
    for value in values:
        extra = list(overrides) + [(keys, value)]
        case = api.load(case_path, overrides=extra, warn=lambda message: None)
        if max_len is not None:
            case = api.load(case_path, warn=lambda message: None,
                            overrides=extra + [(("lengths",), {"min": min(case.lengths), "max": max_len})])
        result = api.decide(case, timeout=timeout, label=case_path, **settings)
        proved = [n for n in result.lengths if result.counterexample is None or n < result.counterexample["length"]]
        row = SweepRow(value, result.verdict, proved[-1] if proved else None, result.counterexample, result.time_s)
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def falling(rows) -> bool:
    """Whether precision grows as the value falls (exponent_min): the smallest value proves
    longer than the largest."""
    proved = {r.value: -1 if r.longest_proved is None else r.longest_proved for r in rows}
    return len(proved) > 1 and proved[min(proved)] > proved[max(proved)]


def needed_value(rows, lengths) -> dict:
    """For each length n: the least precise swept value that proves every length <= n (the
    smallest, or the largest where precision grows as the value falls)."""
    pick = max if falling(rows) else min
    needed = {}
    for n in lengths:
        good = [r.value for r in rows if r.longest_proved is not None and r.longest_proved >= n]
        if good:
            needed[n] = pick(good)
    return needed


def plot(rows, lengths, key: str, title: str, path: str):
    needed = needed_value(rows, lengths)
    fig, ax = pyplot().subplots(figsize=(6.5, 4.2))
    ns = sorted(needed)
    sign = -1 if falling(rows) else 1
    ax.step(ns, [needed[n] for n in ns], where="post", marker="o",
            label=f"{'largest' if sign < 0 else 'smallest'} {key} proving all lengths <= n")
    positive = [n for n in ns if n >= 1]
    if positive:
        ax.plot(positive, [sign * math.log2(n) for n in positive], "--", color="grey", label=f"{'-' if sign < 0 else ''}log2 n")
    ax.set_xlabel("input length n")
    ax.set_ylabel(key)
    ax.set_title(title)
    ax.legend()
    save(fig, path)
