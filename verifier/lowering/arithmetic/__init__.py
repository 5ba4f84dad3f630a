"""Exact integer arithmetic on words of IR bits (the fixed-point numbers of spec
section 2, carried as grid indices k).

A `Word` is a tuple of IR nodes in two's complement, least significant first,
with a proven integer range `[lo, hi]`. Every result's range is derived by exact
interval arithmetic (intersected with the range its bits allow) and the result
is given exactly `width_of(lo, hi)` bits, so narrow values cost few clauses. A
range relies on the caller's guarantees (one-hot selectors, `div_round`'s
quotient range); under them it is never wrong.

Every operation first flattens its operands into one `LinearForm`
`const + sum w_i x_i` over IR bits (products of two words become AND gates of
bit pairs, Baugh-Wooley style with signed weights). `Arithmetic(circuit, style)`
then realises it in one of two styles, one class each:

- `AdderArithmetic` ("adder", for SAT, fewest clauses): a column compressor
  tree of full and half adders (Wallace/Dadda) over the weighted bits, negative
  weights by non-adjacent-form digits, computed modulo 2^width.
- `ThresholdArithmetic` ("threshold", for `compile`): constant depth,
  independent of the number of terms and of the width; thermometers
  `[L >= v]` are single threshold gates (Merrill & Sabharwal 2023, Lemma 1;
  Siu, Roychowdhury & Kailath, "Discrete Neural Computation").

Functions of a word are built from their runs (`runs.py`): the output levels
and the breakpoints between them, found by bisection on declared monotone
pieces, never by evaluating the function on every integer of the range.

What each operation costs (w: widths of the operands and result, t: terms of
the form, n: words, levels: distinct output values):

| operation | adder | threshold |
|---|---|---|
| `linear` | compressor tree, O(t w) full adders | one mod indicator per bit, O(t) thermometers each |
| `at_least` | chain O(w) vs a constant, else tree + sign | one gate |
| `equal` | O(w) xnor + and | two gates |
| `maximum` | n-1 compare-and-select, O(n w) | O(n^2) comparison gates + and-or |
| `round_linear` | tree, shift, increment, clamp O(w) | bits as mod indicators; a saturating clamp is two thermometers inside each bit's gate |
| `div_round` (word) | non-restoring division O(w^2) | one comparison per quotient level |
| `div_round_const` | power of two: `round_linear`; else non-restoring division by the constant, O(w^2) (folded) | up to w^2 levels one thermometer per level, else mod indicators, O(w) thermometers per bit |
| `lookup` | per level a chain O(w) + or of runs | per level one thermometer, one gate per bit |
| `round_linear`, `div_round_const` (float) | tree, then per binade O(P) increment + O(w) leading-one chains | per value one thermometer (at most w_L w levels), else per binade P + 2 mod indicators + 2 thermometers |
| `div_round_const` (float, few values) | per value of the format in range one chain O(w) | as above |
| `round_linear` of a value already in the format | none: the word itself (`_round_exact`) | none |
| `div_round` (float) | non-restoring division O(w^2), then as above | one comparison per value of the format in the range |
| `sqrt_round` | restoring square root O(w^2), then as above | per value of the result one thermometer |

Float formats (spec 2.1) use the same words: a float value is a grid index on
2^exponent_min, its word w = P + (exponent_max - exponent_min) + 2 bits wide at
most, and every exact sum of products is already aligned on a common grid (the
accumulator of Merrill & Sabharwal's Lemma 5, sized from the operands' ranges).
Only the rounding differs (`floating.py`): the binade of |x| (one comparison per
binade boundary, the leading-one detection), the rounded quotient in that binade
(P + 2 bits), shifted, and saturation at +-MAX.

Finding the runs of `lookup` evaluates f O(levels log range) times; only a
lookup without declared pieces evaluates f on its whole (small) range.
"""

from .adder import AdderArithmetic
from .base import Arithmetic
from .runs import ENUMERATION_LIMIT, EVERY_VALUE, NON_DECREASING, NON_INCREASING, SOFTMAX_X_PIECES, activation_pieces, map_runs, runs
from .threshold import ThresholdArithmetic
from .words import LinearForm, Word, naf, naf_digits, width_of

STYLES = ("adder", "threshold")

__all__ = [
    "AdderArithmetic", "Arithmetic", "ThresholdArithmetic", "STYLES", "LinearForm", "Word", "width_of",
    "naf", "naf_digits", "runs", "map_runs", "activation_pieces", "NON_DECREASING", "NON_INCREASING",
    "SOFTMAX_X_PIECES", "ENUMERATION_LIMIT", "EVERY_VALUE",
]
