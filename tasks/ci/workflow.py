"""GitHub Actions' workflow commands and environment files, spelled as the runner parses them
(actions/toolkit, packages/core/src/command.ts and file-command.ts)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF are escaped, so one command stays one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property's value (file=, title=): also `:` and `,`, which end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(
    name: str, message: str, properties: Mapping[str, str | int | None] | None = None
) -> str:
    """`::name key=value,key=value::message`; properties that are None are left out."""
    shown = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (properties or {}).items()
        if value is not None
    )
    return f"::{name}{' ' + shown if shown else ''}::{escape_data(message)}"


def output_lines(values: Mapping[str, str]) -> str:
    """$GITHUB_OUTPUT's `key=value` lines. Values never hold a line break (phasegate's own
    numbers and words); one that did would end its line early, so it becomes a space."""
    return "".join(f"{key}={' '.join(value.splitlines())}\n" for key, value in values.items())


def append(path: Path, text: str) -> None:
    """Append to an environment file the runner reads when the step ends (never rewritten:
    earlier commands of the same step wrote there too)."""
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


class _LineTracker:
    """Passes text on and remembers whether it ended a line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.at_line_start = True

    def write(self, text: str) -> None:
        if text:
            self.stream.write(text)
            self.at_line_start = text.endswith("\n")


@contextlib.contextmanager
def group(stream: TextIO, label: str, enabled: bool) -> Iterator[Callable[[str], object]]:
    """Yield a writer whose text GitHub folds under `label` (`::group::` ... `::endgroup::`).
    `::endgroup::` must start a line: a run stopped midway leaves pytest's progress dots with
    no line end, so one is added then."""
    if not enabled:
        yield stream.write
        return
    tracker = _LineTracker(stream)
    stream.write(command("group", label) + "\n")
    try:
        yield tracker.write
    finally:
        stream.write(("" if tracker.at_line_start else "\n") + "::endgroup::\n")
        stream.flush()


def folded(label: str, text: str) -> str:
    """`text` as one block GitHub folds under `label`: the output of a run that streamed
    nothing (it ran beside another), written in one piece once it has ended."""
    body = text if text.endswith("\n") or not text else text + "\n"
    return f"{command('group', label)}\n{body}::endgroup::"
