"""GitHub annotations of a phase: one error per failed-gate verdict and per failure root
cause, flaky tests as warnings. GitHub shows at most 10 errors and 10 warnings of a step, so
the biggest groups come first and one notice says how many more the summary holds.

Pure functions of the artifacts; `Place` turns a path phasegate recorded into the path
GitHub expects (relative to the repository's root), or None when it is not in the repository.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence, Set

from tasks.artifacts.stability import FlakyRow
from tasks.artifacts.triage import GroupJSON, TriageArtifact
from tasks.ci.workflow import command
from tasks.gates import Gate

SHOWN = 10  # GitHub's own limit per step, for errors and for warnings alike
LISTED = 3  # failing tests named in one root cause's message
# How a category reads in a title; triage.json keeps the short value.
CATEGORY = {"test": "test bug", "production": "production bug", "environment": "environment"}

Place = Callable[[str], str | None]
Located = tuple[str | None, int | None]


class Level(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclasses.dataclass(frozen=True)
class Annotation:
    level: Level
    title: str
    message: str
    file: str | None = None
    line: int | None = None

    def render(self) -> str:
        line = self.line if self.file else None
        return command(
            self.level, self.message, {"file": self.file, "line": line, "title": self.title}
        )


def split_site(site: str) -> tuple[str, int | None]:
    """`path:line` as triage writes a site; anything else is a path with no line."""
    path, sep, line = site.rpartition(":")
    return (path, int(line)) if sep and line.isdigit() else (site, None)


def _test_file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def gate_verdict(phase: str, gates: Sequence[Gate]) -> Annotation | None:
    """The one error that says why the job failed, even when no test did (coverage, say)."""
    failed = [g for g in gates if g.failed]
    if not failed:
        return None
    shown = "; ".join(f"{g.name}: {g.actual} (target {g.target})" for g in failed)
    title = f"phasegate: phase {phase} failed {len(failed)} gate{'s' if len(failed) != 1 else ''}"
    return Annotation(Level.ERROR, title, shown)


def _cause(group: GroupJSON, fix: str, place: Place, rootdir: Place, level: Level) -> Annotation:
    path, line = split_site(group["site"])
    file = place(path)
    if file is None:  # outside the repository (an installed library), or not a path at all
        file, line = rootdir(_test_file(group["tests"][0])), None
    count, tests = group["count"], group["tests"]
    named = ", ".join(tests[:LISTED]) + (
        f" (+{len(tests) - LISTED} more)" if len(tests) > LISTED else ""
    )
    kind = CATEGORY.get(group["category"], group["category"])
    title = f"{kind} ({count} test{'s' if count != 1 else ''}): {group['exception']}"
    message = f"{group['message']}\nfailing: {named}\nfix: {fix}"
    return Annotation(level, title, message, file, line)


def root_causes(
    triage: TriageArtifact | None, flaky: Set[str], place: Place, rootdir: Place
) -> tuple[list[Annotation], list[Annotation]]:
    """Errors: one per root cause, biggest first. Warnings: the flaky ones, when no row of
    `flaky` (the tests stability found flaky, warned of by `flaky_warnings`) covers them: a
    test seen flaky before that failed in every run of this one, say.
    `rootdir` places a node id's file (node ids are relative to pytest's rootdir)."""
    if triage is None:
        return [], []
    fixes = {f["nodeid"]: f["fix"] for f in triage["failures"]}
    errors, warnings = [], []
    for g in sorted(triage["groups"], key=lambda g: -g["count"]):
        fix = fixes.get(g["tests"][0], "")
        if g["category"] != "flaky":
            errors.append(_cause(g, fix, place, rootdir, Level.ERROR))
        elif not set(g["tests"]) <= flaky:
            warnings.append(_cause(g, fix, place, rootdir, Level.WARNING))
    return errors, warnings


def flaky_warnings(
    flaky: Sequence[FlakyRow], locate: Callable[[FlakyRow], Located]
) -> list[Annotation]:
    """One warning per flaky test, where it failed when `locate` knows."""
    out = []
    for row in flaky:
        file, line = locate(row)
        message = f"{row['nodeid']}: {row['k_of_n']}. {row['note']}".strip()
        if row["repro"]:
            message += f"\nreproduce: {row['repro']}"
        out.append(Annotation(Level.WARNING, f"flaky test ({row['kind']})", message, file, line))
    return out


def limited(errors: Sequence[Annotation], warnings: Sequence[Annotation], where: str) -> list[str]:
    """The commands to print: at most SHOWN of each level, then one notice for the rest."""
    lines = [a.render() for a in [*errors[:SHOWN], *warnings[:SHOWN]]]
    more_errors, more_warnings = len(errors) - SHOWN, len(warnings) - SHOWN
    if more_errors <= 0 and more_warnings <= 0:
        return lines
    parts = [
        f"{n} more {what}{'s' if n != 1 else ''}"
        for n, what in ((more_errors, "error"), (more_warnings, "warning"))
        if n > 0
    ]
    message = (
        f"{' and '.join(parts)} than GitHub shows for one step ({SHOWN} of each): "
        f"every root cause and flaky test is in the job summary and in {where}"
    )
    return [*lines, Annotation(Level.NOTICE, "phasegate: more in the summary", message).render()]
