"""`rasp: {program: FOLDER, readout: ...}`: a RASP program from a Tracr export folder
(its program.json, `program.py`), read out as a Tracr transformer is (docs/tracr.md)."""

from __future__ import annotations

import json
import os
from fractions import Fraction

from ...casefile import validate as check
from ...core.models import Rasp
from ...errors import UserError
from .program import is_number, read_program, same, show, token_symbol

RASP_KEYS = ("program", "readout")


def load_rasp(data, path, prefix, alphabet, outputs, warn=None) -> Rasp:
    key = lambda name: check.join(prefix, name)  # noqa: E731
    check.keys(data, RASP_KEYS, path, prefix, required=("program",))
    folder = data["program"]
    if not isinstance(folder, str) or not folder:
        raise UserError(f"expected the path of a Tracr export folder, found {check.kind(folder)}", path, key("program"))
    folder = os.path.join(os.path.dirname(path), folder)
    if not os.path.exists(folder):
        raise UserError(f"no such export folder or file: {folder}", path, key("program"))
    program = read_program(folder, path, key("program"))
    symbols = _symbols(program, alphabet, path)
    config_values = _config_classes(folder)
    sink = program.sink
    readout = data.get("readout", "classes" if sink.encoding == "categorical" else None)
    if readout is None:
        raise UserError("the program's output is numerical: read it with {threshold: t}", path, key("readout"))
    if readout == "classes":
        classes = tuple(config_values if config_values is not None else (sink.value_set or sink.domain))
        return Rasp(path, folder, program, symbols, "classes", classes=classes,
                    labels=tuple(str(v) for v in classes))
    readout = check.mapping(readout, path, key("readout"), "classes, {accept: [values]} or {threshold: t}")
    if "threshold" in readout:
        check.keys(readout, ("threshold",), path, key("readout"))
        t = check.number(readout["threshold"], path, key("readout.threshold"))
        bad = next((v for v in sink.domain if not is_number(v)), None)
        if bad is not None:
            raise UserError(f"the program's output can be {show(bad)}, not a number: read it with classes or "
                            "{accept: [values]}", path, key("readout.threshold"))
        return Rasp(path, folder, program, symbols, "threshold", threshold=Fraction(t), labels=("y",))
    check.keys(readout, ("accept",), path, key("readout"), required=("accept",))
    accept = readout["accept"]
    if not isinstance(accept, list) or not accept:
        raise UserError(f"expected a non-empty list of output values, found {check.kind(accept)}", path,
                        key("readout.accept"))
    values = list(sink.domain)
    for i, wanted in enumerate(accept):
        if not any(same(v, wanted) for v in values):
            raise UserError(f"{check.kind(wanted)} is not a value the program's output can take (they are: "
                            f"{', '.join(show(v) for v in values)})", path, key(f"readout.accept[{i}]"))
    return Rasp(path, folder, program, symbols, "accept", accept=tuple(accept))


def _symbols(program, alphabet, path) -> dict:
    """alphabet symbol -> token value (a string token is its own symbol; others as in JSON)."""
    named = {}
    for token in program.vocab:
        name = token_symbol(token)
        if name in named:
            raise UserError(f"two tokens are both written {name!r}", program.path, "vocab")
        named[name] = token
    symbols = {}
    for i, symbol in enumerate(alphabet):
        if symbol not in named:
            raise UserError(f"the symbol {symbol!r} is not a token of the program {program.path} (its tokens: "
                            f"{', '.join(map(repr, named))})", path, f"alphabet[{i}]")
        symbols[symbol] = named[symbol]
    return symbols


def _config_classes(folder):
    """The class values of the export's config.json (the compiled model's), if there is one."""
    config = os.path.join(folder, "config.json") if os.path.isdir(folder) else None
    if config is None or not os.path.exists(config):
        return None
    try:
        with open(config, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"cannot read the file: {error}", config) from None
    output = data.get("output") if isinstance(data, dict) else None
    values = output.get("index_to_value") if isinstance(output, dict) else None
    if values is None:
        return None
    if not isinstance(values, list):
        raise UserError(f"expected a list of values, found {check.kind(values)}", config, "output.index_to_value")
    return values


def read_values(model: Rasp, values: list, outputs: str) -> list:
    """The output bits (None: undefined) of the program's output values at the read positions."""
    read = values if outputs == "every" else values[-1:]
    bits = []
    for v in read:
        if model.readout == "classes":
            bits += [None] * len(model.classes) if v is None else [int(same(v, c)) for c in model.classes]
        elif model.readout == "accept":
            bits.append(None if v is None else int(any(same(v, a) for a in model.accept)))
        else:
            bits.append(None if v is None or not is_number(v) else int(v > model.threshold))
    return bits


def check_length(model: Rasp, n: int, outputs: str) -> None:
    program = model.program
    if n < 1:
        raise UserError("a RASP program has no output on the empty string: the lengths start at 1",
                        model.path, "lengths")
    if n > program.max_seq_len:
        raise UserError(f"the program was compiled for at most {program.max_seq_len} tokens, not {n}",
                        model.path, "lengths")
