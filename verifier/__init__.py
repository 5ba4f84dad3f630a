"""tcverify: prove or refute the equivalence of fixed-point transformers,
threshold circuits and DFAs over all inputs of given lengths with a SAT solver.

Merrill & Sabharwal, "The Parallelism Tradeoff: Limitations of Log-Precision
Transformers", TACL 2023.
"""

__version__ = "0.1.0"
