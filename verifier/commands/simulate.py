"""`tcverify simulate`: the input parsed, and the result of `api.simulate` (both
models of a case on one input, with the transformer's intermediate values;
`kinds/simulate.py` describes the dict) rendered as text."""

from __future__ import annotations

from ..errors import UserError


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


def _row(values) -> str:
    return "[" + ", ".join(values) + "]"


def _render_transformer(lines, trace, detail, bits):
    tokens = detail["tokens"]

    def stage(k, title):
        lines.append(f"  {title}:")
        for p, values in enumerate(trace[k]):
            lines.append(f"    p{p} {tokens[p]!s:>6}: {_row(values)}")

    stage(0, "h after the embedding")
    for b, block in enumerate(detail["blocks"], start=1):
        residual = "residual" if block["residual"] else "no residual"
        if block["kind"] == "attention":
            lines.append(f"  block {b}: attention ({residual})")
            for j, head in enumerate(block["heads"]):
                lines.append(f"    head {j} ({head['type']}, mask {head['mask']}):")
                for p in range(len(tokens)):
                    scores = _row("." if s is None else s for s in head["scores"][p])
                    text = f"      p{p}: scores {scores} max {head['max'][p]}"
                    if "weights" in head:
                        text += " weights " + _row("." if e is None else e for e in head["weights"][p])
                    chosen = ",".join(str(q) for q in head["chosen"][p])
                    label = {"hard": "q*", "average": "M_p"}.get(head["type"], "argmax")
                    text += f" {label} {{{chosen}}} -> a = {_row(head['output'][p])}"
                    lines.append(text)
            lines.append("    o (sum over heads of wo a + bo): " + " ".join(_row(o) for o in block["output"]))
        else:
            lines.append(f"  block {b}: mlp {block['activation']} ({residual})")
            for p in range(len(tokens)):
                lines.append(f"      p{p}: w1 h + b1 -> {_row(block['pre'][p])}  act -> {_row(block['hidden'][p])}"
                             f"  w2 u + b2 -> {_row(block['output'][p])}")
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
        bits = "".join(str(b) for b in result[side])
        lines.append(f"{side} ({result[f'{side}_kind']}): bits {bits or '(none)'}")
        if f"{side}_trace" in result:
            _render_transformer(lines, result[f"{side}_trace"], result[f"{side}_detail"], result[side])
    same = "agree" if result["left"] == result["right"] else "DIFFER"
    lines.append(f"the models {same}")
    return "\n".join(lines)
