"""`tcverify aiger`: the miter of a case at one length (output `diff`, 1 iff
the models' outputs differ), or one model (outputs `accept` or `accept[i]`),
as binary AIGER for ABC and the AIGER tools; see `lowering/aiger.py`."""

from __future__ import annotations

import os

from .. import __version__
from ..kinds.case import load_case
from ..errors import UserError
from ..lowering.aiger import AigerModel, lower_to_aig
from ..core.ir import GateCircuit
from ..kinds import lower_model
from ..proving.miter import build_miter


def case_aiger(case_path: str, n: int, side=None) -> AigerModel:
    """The miter (side None) or the `left` / `right` model of the case at length n."""
    case = load_case(case_path)
    if n not in case.lengths:
        raise UserError(f"length {n} is not among the case's lengths {list(case.lengths)}", case_path, "--length")
    comments = [f"tcverify {__version__} aiger", f"case {os.path.abspath(case_path)}", f"length {n}"]
    if side is None:
        miter = build_miter(case, n)
        circuit, outputs = miter.circuit, [("diff", miter.diff)]
        comments.append("miter: output diff is 1 iff the two models' outputs differ on the input string")
    else:
        circuit = GateCircuit(n, case.alphabet)
        nodes = lower_model(getattr(case, side), circuit, case.outputs)
        names = ["accept"] if case.outputs == "last" else [f"accept[{i}]" for i in range(len(nodes))]
        outputs = list(zip(names, nodes))
        comments.append(f"model: the case's {side} side" + ("" if case.outputs == "last" else "; accept[i] is its bit for the prefix ending at position i"))
    return lower_to_aig(circuit, outputs, comments)


def write_aiger(case_path: str, n: int, output: str, side=None) -> dict:
    model = case_aiger(case_path, n, side)
    data = model.to_bytes()
    try:
        with open(output, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror}", output) from None
    return {"inputs": model.aig.inputs, "ands": model.and_count(), "outputs": len(model.outputs)}
