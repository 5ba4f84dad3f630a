"""Both models of a case on one input by their exact evaluators, with the
intermediate values of a kind that has a trace (spec 6 and 7; `simulate`).

`simulate` returns a JSON-serialisable dict: `input`, `left`, `right` (bits), and
for each side whose kind has a trace `<side>_trace`, the sequence h after the
embedding (stage 0) and after each block as `[stage][position][dimension]` exact
rational strings ("13/16", "-2"), the same layout as the conformance `.io.json`
files, and `<side>_detail` with the tokens, each head's scores, maxima, softmax
weights, chosen positions and outputs, each mlp's pre-activations and
activations, and the readout values (one list per read position: one value for
a threshold readout, one per class for an argmax). `<side>_kind` names the model kind.
A transformer in a float number format (spec 2.1) also has `<side>_trace_binary`:
the same values as `m*2^e` (m odd, or "0"), the float's own reading. `<side>_values`,
for a kind that can say it, is what the model read at each read position (a decoded
class, a RASP program's value); bits None are undefined (not compared). `agree`:
the bits both sides define are equal; `not_compared`: how many bits are undefined.
"""

from __future__ import annotations

from ..core.models import Case, Transformer
from ..core.number_format import binary_text
from ..errors import UserError
from . import kind_of


def _text(value):
    """Fractions (nested in lists/dicts) as exact strings; None and ints kept."""
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def simulate(case: Case, word) -> dict:
    """Both models' bits on `word` (a list of symbols), with traces."""
    word = list(word)
    for symbol in word:
        if symbol not in case.alphabet:
            raise UserError(f"{symbol!r} is not a symbol of the alphabet {list(case.alphabet)}", case.path, "--input")
    result = {"input": word}
    for side in ("left", "right"):
        model = getattr(case, side)
        kind = kind_of(model)
        result[f"{side}_kind"] = kind.describe(model)
        if kind.trace is not None:
            trace = kind.trace(model, word, case.alphabet, case.outputs)
            result[side] = trace["bits"]
            result[f"{side}_trace"] = _text(trace["stages"])
            if isinstance(model, Transformer) and model.number_format.is_float:
                result[f"{side}_trace_binary"] = [[[binary_text(v) for v in row] for row in stage]
                                                  for stage in trace["stages"]]
            result[f"{side}_detail"] = _text({key: trace[key] for key in ("tokens", "read", "blocks", "logits")})
        else:
            result[side] = kind.run(model, word, case.alphabet, case.outputs)
        if kind.values is not None:  # what it read at each read position (a class, a program's value)
            result[f"{side}_values"] = kind.values(model, word, case.alphabet, case.outputs)
    pairs = list(zip(result["left"], result["right"]))  # an undefined bit (None) is not compared
    result["agree"] = all(a == b for a, b in pairs if a is not None and b is not None)
    result["not_compared"] = sum(a is None or b is None for a, b in pairs)
    return result
