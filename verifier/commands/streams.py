"""Standard output and error that survive a closed pipe (`tcverify prove cases/ |
head -1`): the first write that finds the reader gone points the stream at
/dev/null, and the command goes on to its own exit status (README "Exit
status"), quietly: never a BrokenPipeError, never exit 70 or 1."""

from __future__ import annotations

import contextlib
import os
import sys


class PipeSafe:
    """A text stream whose writes and flushes to a closed pipe go to /dev/null."""

    def __init__(self, stream):
        self._stream = stream

    def _closed_pipe(self):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())
        except (OSError, ValueError, AttributeError):  # not a real file (click's test runner)
            pass
        finally:
            os.close(devnull)

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._closed_pipe()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._closed_pipe()
            with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def pipe_safe_streams():
    """sys.stdout and sys.stderr as `PipeSafe` streams for the duration."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PipeSafe(sys.stdout), PipeSafe(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved
