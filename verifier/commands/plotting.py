"""The matplotlib setup of the commands that draw (`compile --plot`, `sweep --plot`):
the file-only Agg backend, so no display is needed, and one way to save."""

from __future__ import annotations

import os

from ..errors import UserError


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (imported on first use: drawing is optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str):
    """Lay out, write and close a figure; the folders of `path` are created."""
    fig.tight_layout()
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fig.savefig(path, dpi=110)
    except OSError as exc:
        raise UserError(f"cannot write the plot: {exc.strerror}", path, "--plot") from None
    finally:
        pyplot().close(fig)
