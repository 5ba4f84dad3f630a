"""The matplotlib setup of the commands that draw (`compile --plot`, `sweep --plot`):
the file-only Agg backend, so no display is needed, and one way to save."""

from __future__ import annotations


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (imported on first use: drawing is optional)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path: str):
    """Lay out, write and close a figure."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
