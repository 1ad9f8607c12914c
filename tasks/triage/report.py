"""What the triage step writes besides the verdicts: root-cause groups, the headline and the
human-readable failures.txt. Pure functions of the verdicts."""

from __future__ import annotations

from collections.abc import Sequence

from tasks.artifacts.triage import GroupJSON
from tasks.results import TestRecord
from tasks.triage.facts import Verdict


def group(verdicts: Sequence[Verdict]) -> list[GroupJSON]:
    """Failures that share a category, exception type and site: biggest group first."""
    groups: dict[tuple[str, str, str], list[Verdict]] = {}
    for verdict in verdicts:
        groups.setdefault(verdict.group_key, []).append(verdict)
    ordered = sorted(groups.values(), key=lambda members: -len(members))
    return [
        {
            "category": members[0].category,
            "exception": members[0].exception,
            "site": members[0].cause or members[0].site,
            "message": members[0].message,
            "count": len(members),
            "tests": [v.nodeid for v in members],
        }
        for members in ordered
    ]


def headline(groups: Sequence[GroupJSON]) -> str:
    failures = sum(g["count"] for g in groups)
    if not failures:
        return "no failures or errors"
    causes = len(groups)
    return (
        f"{causes} root cause{'s' if causes != 1 else ''} "
        f"({failures} failure{'s' if failures != 1 else ''} and errors)"
    )


def render_failures(
    verdicts: Sequence[Verdict], groups: Sequence[GroupJSON], records: dict[str, TestRecord]
) -> str:
    """failures.txt: the groups, then every failure with file, line, evidence and repro."""
    lines = [headline(groups), ""]
    for i, g in enumerate(groups, 1):
        lines.append(
            f"[{i}] {g['count']} x {g['category']}: {g['exception']} at {g['site']}"
            f" - {g['message']}"
        )
    for v in verdicts:
        record = records[v.nodeid]
        lines += [
            "",
            f"{record.outcome.upper()} {v.nodeid} ({record.when})",
            f"  at: {v.site}",
            f"  error: {v.exception}: {v.message}",
            f"  category: {v.category} ({v.confidence} confidence) - {v.reason}",
            "  evidence:",
            *(f"    - {e}" for e in v.evidence),
            f"  fix: {v.fix}",
            f"  repro: {v.repro}",
        ]
    return "\n".join(lines) + "\n"
