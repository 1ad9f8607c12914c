"""Progress lines on the terminal, in the style of nox's `nox >` prefix."""

from __future__ import annotations

import sys
from typing import TextIO


class Console:
    """Where phasegate tells the user what it is doing. Passed down; never a global."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.quiet = quiet

    def step(self, message: str) -> None:
        """A progress line: which step, which run, which command."""
        if not self.quiet:
            self.write(f"phasegate > {message}")

    def write(self, text: str) -> None:
        # One write per line: lines from runs side by side (worker threads) never interleave.
        self.stream.write(text + "\n")
        self.stream.flush()

    @property
    def color(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())
