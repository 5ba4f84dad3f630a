"""tcverify: prove or refute the equivalence of fixed-point transformers,
threshold circuits and DFAs over all inputs of given lengths with a SAT solver.

Merrill & Sabharwal, "The Parallelism Tradeoff: Limitations of Log-Precision
Transformers", TACL 2023.

The front door is `tcverify.api`; its functions are also names of the package
(`tcverify.load`, `tcverify.decide`, ...), imported when first used.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tcverify")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str):
    """The front door's names (`api.__all__`), imported on first use so that
    `import tcverify.core` stays light."""
    api = import_module(f"{__name__}.api")
    if name in api.__all__:
        return getattr(api, name)
    raise AttributeError(f"module 'tcverify' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(import_module(f"{__name__}.api").__all__))
