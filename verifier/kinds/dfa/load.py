"""DFAs (spec 5): states, accepting states and a partial transition table over
the case's alphabet (a missing transition goes to an implicit rejecting sink)."""

from __future__ import annotations

import functools

from ...errors import UserError
from ...casefile import validate as check
from ...core.models import Dfa



def _state(value, path, key):
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UserError(f"a state is a name, found {check.kind(value)}", path, key)
    return str(value)


def load_dfa(data, path, prefix, alphabet) -> Dfa:
    check.keys(data, ("start", "accept", "delta"), path, prefix, required=("start", "accept", "delta"))
    key = functools.partial(check.join, prefix)
    start = _state(data["start"], path, key("start"))
    delta_data = check.mapping(data["delta"], path, key("delta"))
    states = {_state(s, path, key("delta")) for s in delta_data} | {start}
    delta = {}
    for state, moves in delta_data.items():
        where = key(f"delta.{state}")
        moves = check.mapping(moves if moves is not None else {}, path, where)
        table = {}
        for symbol, target in moves.items():
            check.symbol(symbol, path, f"{where}.{symbol}")
            if symbol not in alphabet:
                raise UserError(f"{symbol!r} is not an alphabet symbol", path, f"{where}.{symbol}")
            target = _state(target, path, f"{where}.{symbol}")
            if target not in states:
                raise UserError(f"unknown state {target!r} (the states are the keys of delta and start)", path, f"{where}.{symbol}")
            table[symbol] = target
        delta[str(state)] = table
    accept = data["accept"]
    if not isinstance(accept, list):
        raise UserError(f"expected a list of states, found {check.kind(accept)}", path, key("accept"))
    accepting = set()
    for i, state in enumerate(accept):
        state = _state(state, path, key(f"accept[{i}]"))
        if state not in states:
            raise UserError(f"unknown state {state!r} (the states are the keys of delta and start)", path, key(f"accept[{i}]"))
        accepting.add(state)
    return Dfa(path, start, frozenset(accepting), delta)
