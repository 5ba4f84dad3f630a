"""`tcverify simulate`: the input parsed (or read from a `prove --cex-dir`
witness), and the result of `api.simulate` (both
models of a case on one input, with the transformer's intermediate values;
`kinds/simulate.py` describes the dict) rendered as text."""

from __future__ import annotations

import json

from ..errors import UserError
from ..core.number_format import binary_text


def parse_input(text: str, alphabet) -> list:
    """Symbols joined by commas, or plain characters when every symbol is one
    character; "" is the empty string. A piece that is not a symbol is a UserError."""
    alphabet = tuple(alphabet)
    if text.strip() == "":
        return []
    if "," in text:
        pieces = [piece.strip() for piece in text.split(",")]
    elif all(len(a) == 1 for a in alphabet):
        pieces = list(text.strip())
    else:
        pieces = [text.strip()]
    for piece in pieces:
        if piece not in alphabet:
            raise UserError(f"{piece!r} is not a symbol of the alphabet {list(alphabet)} "
                            "(join symbols with commas, or write plain characters when every symbol is one character)",
                            None, "--input")
    return pieces


def read_witness(path: str) -> list:
    """The input of a witness file written by `prove --cex-dir` (JSON with an
    "input" list of symbols); the symbols are checked against the case later."""
    try:
        with open(path) as handle:
            witness = json.load(handle)
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror}", path, "--input") from None
    except ValueError as exc:
        raise UserError(f"not a JSON witness: {exc}", path, "--input") from None
    word = witness.get("input") if isinstance(witness, dict) else None
    if not isinstance(word, list) or not all(isinstance(a, str) for a in word):
        raise UserError('expected a witness written by `prove --cex-dir` (an "input" list of symbols)', path, "--input")
    return word


def _row(values) -> str:
    return "[" + ", ".join(values) + "]"


def _float_text(value) -> str:
    """An exact value of a float model, with its `m*2^e` reading (spec 2.1)."""
    if value is None or value == "0" or "/" not in value and value.lstrip("-").isdigit() and int(value) % 2:
        return value
    return f"{value}={binary_text(value)}"


def _render_transformer(lines, trace, detail, bits, floats: bool):
    tokens = detail["tokens"]
    show = _float_text if floats else (lambda value: value)

    def row(values) -> str:
        return _row(show(v) for v in values)

    def stage(k, title):
        lines.append(f"  {title}:")
        for p, values in enumerate(trace[k]):
            lines.append(f"    p{p} {tokens[p]!s:>6}: {row(values)}")

    def norm(title, block):
        lines.append(f"    {title}:")
        for p in range(len(tokens)):
            lines.append(f"      p{p}: mean {show(block['mean'][p])} variance {show(block['variance'][p])} "
                         f"root {show(block['root'][p])} -> y = {row(block['output'][p])}")

    stage(0, "h after the embedding")
    for b, block in enumerate(detail["blocks"], start=1):
        if block["kind"] == "layer_norm":
            lines.append(f"  block {b}: layer_norm")
            norm("layer norm", block)
            stage(b, f"h after block {b}")
            continue
        residual = "residual" if block["residual"] else "no residual"
        if "norm" in block:
            norm(f"block {b}'s norm (the block reads y)", block["norm"])
        if block["kind"] == "attention":
            lines.append(f"  block {b}: attention ({residual})")
            for j, head in enumerate(block["heads"]):
                lines.append(f"    head {j} ({head['type']}, mask {head['mask']}):")
                for p in range(len(tokens)):
                    scores = _row("." if s is None else show(s) for s in head["scores"][p])
                    text = f"      p{p}: scores {scores} max {show(head['max'][p])}"
                    if "weights" in head:
                        text += " weights " + _row("." if e is None else show(e) for e in head["weights"][p])
                    chosen = ",".join(str(q) for q in head["chosen"][p])
                    label = {"hard": "q*", "average": "M_p"}.get(head["type"], "argmax")
                    text += f" {label} {{{chosen}}} -> a = {row(head['output'][p])}"
                    lines.append(text)
            lines.append("    o (sum over heads of wo a + bo): " + " ".join(row(o) for o in block["output"]))
        else:
            lines.append(f"  block {b}: mlp {block['activation']} ({residual})")
            for p in range(len(tokens)):
                lines.append(f"      p{p}: w1 h + b1 -> {row(block['pre'][p])}  act -> {row(block['hidden'][p])}"
                             f"  w2 u + b2 -> {row(block['output'][p])}")
        stage(b, f"h after block {b}")
    per = len(bits) // len(detail["read"]) if detail["read"] else 0
    for r, (p, logits) in enumerate(zip(detail["read"], detail["logits"])):
        shown = "".join(str(b) for b in bits[r * per:(r + 1) * per])
        values = logits[0] if len(logits) == 1 else _row(logits)
        lines.append(f"  readout at p{p} ({tokens[p]}): weights . h + bias = {values} -> {shown}")


def render_text(result: dict) -> str:
    """A readable trace of a `simulate` result."""
    word = result["input"]
    lines = [f"input: {' '.join(word) if word else '(empty string)'} (length {len(word)})"]
    for side in ("left", "right"):
        bits = "".join("-" if b is None else str(b) for b in result[side])  # -: undefined, not compared
        lines.append(f"{side} ({result[f'{side}_kind']}): bits {bits or '(none)'}"
                     + (f"  read: {', '.join(result[f'{side}_values'])}" if f"{side}_values" in result else ""))
        if f"{side}_trace" in result:
            _render_transformer(lines, result[f"{side}_trace"], result[f"{side}_detail"], result[side],
                                f"{side}_trace_binary" in result)
    same = "agree" if result["agree"] else "DIFFER"
    undefined = result["not_compared"]
    lines.append(f"the models {same}" + (f" ({undefined} undefined bits, marked -, not compared)" if undefined else ""))
    return "\n".join(lines)
