"""The exit-code policy of `prove` (spec section 6): 0 all as expected, 1 an
unexpected outcome, 2 bad input or usage, 3 out of time or memory (unknown),
and with `--certify` an expected `equivalent` with a length left uncertified
(docs/proofs.md); 70 (an internal error) is the CLI's (`cli.py`)."""

from __future__ import annotations


def exit_code(result, certify: bool = False) -> int:
    """One CaseResult's contribution to prove's exit status."""
    if result.verdict == "error":
        return 2
    if result.verdict == "unknown":
        return 3
    if not result.ok:
        return 1
    return 3 if certify and result.verdict == "equivalent" and result.uncertified else 0


def overall_exit(results, certify: bool = False) -> int:
    """2 for an error, else 1 for an unexpected outcome, else 3 for unknown (or
    uncertified, with `certify`), else 0."""
    codes = {exit_code(r, certify) for r in results}
    for code in (2, 1, 3):
        if code in codes:
            return code
    return 0
