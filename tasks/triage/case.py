"""One failure as every rule sees it: the record, the facts it shows, and the probe to ask for
more. What several rules need (where it was raised, what changed, which side changed last) is
worked out once, on first use, so a rule that does not need git never asks for it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from tasks.layout import Layout
from tasks.results import TestRecord
from tasks.triage.facts import (
    ASSERTION_TYPES,
    Category,
    Confidence,
    Facts,
    Probe,
    Verdict,
    first_line,
    gather_facts,
    short,
)


@dataclasses.dataclass(frozen=True)
class Change:
    """What changed since the base among the test and the production lines it runs."""

    decided: Category | None  # the side that alone changed; None when both or neither did
    sentence: str
    lines: tuple[str, ...]  # the changed production lines it runs, as file:line


@dataclasses.dataclass(frozen=True)
class Case:
    """One failure or error and everything the rules may ask about it."""

    record: TestRecord
    layout: Layout
    probe: Probe
    flaky: Mapping[str, Any] | None = None  # its row of stability.json's flaky tests

    @functools.cached_property
    def facts(self) -> Facts:
        return gather_facts(self.record, self.layout)

    @functools.cached_property
    def raised(self) -> tuple[str, Category | None]:
        """A sentence on where it was raised, and whose code raised it (None: not the
        project's)."""
        frame = self.facts.project_frame
        exc = short(self.facts.exc_type)
        if frame is None:
            return "it was raised outside the project's own code", None
        path = str(frame["path"])
        side = Category.TEST if self.layout.is_test_code(path) else Category.PRODUCTION
        fn = f" in {frame['function']}()" if frame.get("function") else ""
        where = f"{self.layout.rel(path)}:{frame['lineno']}{fn}"
        return f"{exc} was raised at {where}, which is {side} code", side

    @property
    def where(self) -> str:
        return self.raised[0]

    @property
    def side(self) -> Category | None:
        return self.raised[1]

    @property
    def is_assert(self) -> bool:
        return self.facts.exc_type in ASSERTION_TYPES

    def raised_in(self, side: Category) -> bool:
        """An exception (not a failed assert) raised in `side`'s code."""
        return not self.is_assert and self.side == side

    @functools.cached_property
    def change(self) -> Change | None:
        """From git since the base and per-test coverage; None without either."""
        return change_evidence(self.record, self.layout, self.probe)

    @property
    def decided(self) -> Category | None:
        """The side the change evidence alone points at."""
        return self.change.decided if self.change is not None else None

    @functools.cached_property
    def newest(self) -> tuple[Category, str, str] | None:
        """Which side changed last by git blame, asked only when the change evidence does not
        decide (blame is the slowest question)."""
        return self.probe.newest_change(self.record) if self.decided is None else None

    @functools.cached_property
    def raise_statement(self) -> str | None:
        """The project's source line that raised it when that line is a `raise` statement:
        the code rejecting its input on purpose."""
        frame = self.facts.project_frame or {}
        line = self.probe.source_line(str(frame.get("path", "")), int(frame.get("lineno") or 0))
        return line if line.startswith("raise ") or line == "raise" else None

    @property
    def evidence(self) -> list[str]:
        """The sentences every verdict by location starts with: where, and what changed."""
        return [self.where] + ([self.change.sentence] if self.change is not None else [])

    def verdict(
        self,
        category: Category,
        confidence: Confidence,
        reason: str,
        evidence: list[str],
        fix: str,
        cause: str = "",
    ) -> Verdict:
        return Verdict(
            nodeid=self.record.nodeid,
            category=category,
            confidence=confidence,
            reason=reason,
            evidence=tuple(evidence),
            fix=fix,
            exception=short(self.facts.exc_type),
            message=first_line(self.facts.message),
            site=self.facts.site,
            cause=cause,
        )


# A rule returns a verdict when its evidence decides the case, else None.
Rule = Callable[[Case], Verdict | None]


def change_evidence(record: TestRecord, layout: Layout, probe: Probe) -> Change | None:
    test_changed = probe.test_changed(layout.test_file(record.nodeid))
    production = probe.production_changed(record.nodeid)
    if test_changed is None or production is None:
        return None
    prod_changed, files = production
    shown = f"{', '.join(files[:3])}{' ...' if len(files) > 3 else ''}"
    if prod_changed:
        runs = f"the production lines it runs ({shown})"
    else:
        runs = f"the production files it runs ({shown})" if files else "the production code it runs"
    lines = tuple(files) if prod_changed else ()
    if test_changed and not prod_changed:
        return Change(Category.TEST, f"the test changed since the base; {runs} did not", lines)
    if prod_changed and not test_changed:
        return Change(
            Category.PRODUCTION, f"{runs} changed since the base; the test did not", lines
        )
    if prod_changed:
        return Change(None, f"both the test and {runs} changed since the base", lines)
    return Change(None, f"neither the test nor {runs} changed since the base", lines)
