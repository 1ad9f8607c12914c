"""The vocabulary of triage: categories, the facts one failure shows,
the Probe through which rules ask git and the sources, and the Verdict they return."""

from __future__ import annotations

import dataclasses
import difflib
import enum
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tasks.layout import Layout
from tasks.results import TestRecord


class Category(enum.StrEnum):
    """Whose failure it is; the value is what triage.json says."""

    TEST = "test"
    PRODUCTION = "production"
    FLAKY = "flaky"
    ENVIRONMENT = "environment"


class Confidence(enum.StrEnum):
    """How firmly the evidence decides the category."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


ASSERTION_TYPES = frozenset({"builtins.AssertionError", "_pytest.outcomes.Failed"})


class Probe(Protocol):
    """Facts the rules may ask for; the triage step answers them from git and the sources."""

    def ever_had(self, module: Path, name: str) -> bool | None: ...

    def names_in(self, module: Path) -> list[str]: ...

    def test_changed(self, test_file: Path) -> bool | None: ...

    def production_changed(self, nodeid: str) -> tuple[bool, list[str]] | None: ...

    def runs_production(self, nodeid: str) -> list[str] | None: ...

    def newest_change(self, record: TestRecord) -> tuple[Category, str, str] | None: ...

    def source_line(self, path: str, lineno: int) -> str: ...


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A failure's category with the evidence that decided it."""

    nodeid: str
    category: Category
    confidence: Confidence
    reason: str
    evidence: tuple[str, ...]
    fix: str
    exception: str
    message: str
    site: str  # where it was raised: path:line in the project, else the crash location
    repro: str = ""
    cause: str = ""  # the changed line the evidence points at, when it points at one

    @property
    def group_key(self) -> tuple[str, str, str]:
        """Failures with one root cause: the same category, exception and site, or, for
        assertions blamed on one changed line, that line."""
        return (self.category, self.exception, self.cause or self.site)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["evidence"] = list(self.evidence)
        return data


def short(exc_type: str) -> str:
    return exc_type.removeprefix("builtins.")


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def closest(word: str, names: Sequence[str]) -> list[str]:
    return difflib.get_close_matches(word, list(names), n=3, cutoff=0.5)


@dataclasses.dataclass(frozen=True)
class Facts:
    """What one failure shows, pulled out of the record once."""

    exc_type: str
    message: str
    frames: list[Mapping[str, Any]]
    cause: Mapping[str, Any] | None
    project_frame: Mapping[str, Any] | None  # innermost frame in the project's own code
    site: str

    @property
    def types(self) -> tuple[str, ...]:
        """The exception's type, then its cause's."""
        return (self.exc_type, *([str(self.cause.get("type"))] if self.cause else []))

    @property
    def messages(self) -> str:
        return self.message + "\n" + (str(self.cause.get("message")) if self.cause else "")


def gather_facts(record: TestRecord, layout: Layout) -> Facts:
    exc = dict(record.exception or {})
    frames = list(exc.get("frames") or [])
    if exc.get("filename"):  # a SyntaxError points at the file it could not parse
        frames.append({"path": exc["filename"], "lineno": exc.get("lineno"), "function": ""})
    own = [f for f in frames if layout.in_project(str(f["path"]))]
    project_frame = own[-1] if own else None
    if project_frame is not None:
        site = f"{layout.rel(str(project_frame['path']))}:{project_frame['lineno']}"
    elif record.crash_path:
        site = f"{layout.rel(record.crash_path)}:{record.crash_lineno}"
    else:
        site = record.nodeid.split("::")[0]
    exc_type = str(exc.get("type") or ("collect error" if record.when == "collect" else "unknown"))
    message = str(exc.get("message") or record.message or "")
    return Facts(exc_type, message, frames, exc.get("cause"), project_frame, site)
