"""tcverify: prove or refute the equivalence of fixed-point transformers,
threshold circuits and DFAs over all inputs of given lengths with a SAT solver.

Merrill & Sabharwal, "The Parallelism Tradeoff: Limitations of Log-Precision
Transformers", TACL 2023.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tcverify")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
