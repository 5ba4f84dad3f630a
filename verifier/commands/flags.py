"""Checked flag values: every number a flag takes is parsed here and refused
with a one-line usage error (exit 2) when it is not finite, out of range, or a
size too small to run a worker in. "No limit" is spelled by leaving the flag
out, never by 0."""

from __future__ import annotations

import math
import os

import click

from ..api import MAX_LENGTH

MAX_SECONDS = 1e6  # about 11.6 days: past it a wait would overflow the OS timers
MEMORY_MARGIN = 64 << 20  # what a worker needs beyond the address space it starts with
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
MAX_JOBS = 256  # worker processes
LENGTH = click.IntRange(0, MAX_LENGTH)  # an input length named on the command line (the size guard of casefile/limits.py)


class Seconds(click.ParamType):
    """A time limit: a finite number of seconds, 0 < T <= MAX_SECONDS."""

    name = "SECONDS"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
            self.fail(f"{value!r}: give a number of seconds above 0 and at most {MAX_SECONDS:.0f} "
                      "(leave the flag out for no limit)", param, ctx)
        return seconds


def parse_size(text: str) -> int:
    """Bytes of a size such as 4G, 500M, 64K or 1000000 (binary units); ValueError if it is none."""
    body = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = body[-1:] if body[-1:] in SIZE_UNITS else ""
    value = float(body[:len(body) - len(unit)])
    if not math.isfinite(value) or value <= 0:
        raise ValueError(text)
    return int(value * SIZE_UNITS[unit])


def own_address_space() -> int:
    """Bytes of this process's address space (VmSize), which a forked worker starts with."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def format_size(size: int) -> str:
    return f"{math.ceil(size / (1 << 20))}M"


class MemorySize(click.ParamType):
    """A worker's address-space cap: a size (4G, 500M) of at least what a worker
    starts with plus MEMORY_MARGIN."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            size = parse_size(value)
        except ValueError:
            self.fail(f"expected a size such as 4G or 500M, found {value!r}", param, ctx)
        least = own_address_space() + MEMORY_MARGIN
        if size < least:
            self.fail(f"{value!r} is less than a worker needs: it starts with this process's "
                      f"{format_size(least - MEMORY_MARGIN)} of address space; give at least {format_size(least)}",
                      param, ctx)
        return size

