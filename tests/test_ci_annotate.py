"""The annotation rules as tables: which failures are errors or warnings, the limit."""

from __future__ import annotations

from typing import Any

import pytest

from tasks.ci.annotate import SHOWN, Annotation, Level, limited, root_causes, split_site


def group(category: str, tests: list[str], site: str = "pkg/mod.py:3") -> dict[str, Any]:
    return {
        "category": category,
        "exception": "ValueError",
        "site": site,
        "message": "bad",
        "count": len(tests),
        "tests": tests,
    }


def triage(*groups: dict[str, Any]) -> Any:
    failures = [{"nodeid": t, "fix": f"fix {t}"} for g in groups for t in g["tests"]]
    return {"groups": list(groups), "failures": failures}


def in_repo(path: str) -> str | None:
    return None if path.startswith("/usr") else f"repo/{path}"


@pytest.mark.parametrize(
    ("site", "shown"),
    [
        ("pkg/mod.py:12", ("pkg/mod.py", 12)),
        ("C:/x/mod.py:7", ("C:/x/mod.py", 7)),  # only the last colon counts
        ("tests/test_x.py", ("tests/test_x.py", None)),  # a module that did not import
        ("module yaml not installed", ("module yaml not installed", None)),
    ],
)
def test_split_site(site: str, shown: tuple[str, int | None]) -> None:
    assert split_site(site) == shown


def test_biggest_first_flaky_ones_warned_of_once() -> None:
    data = triage(
        group("test", ["t::a"]),
        group("production", ["t::b", "t::c"]),
        group("flaky", ["t::d"]),  # stability found it flaky: its own warning covers it
        group("flaky", ["t::e"], "/usr/lib/x.py:1"),  # seen flaky before, failed every run
    )
    errors, warnings = root_causes(data, {"t::d"}, in_repo, in_repo)
    assert [(e.title, e.file, e.line) for e in errors] == [
        ("production bug (2 tests): ValueError", "repo/pkg/mod.py", 3),
        ("test bug (1 test): ValueError", "repo/pkg/mod.py", 3),
    ]
    assert errors[0].message == "bad\nfailing: t::b, t::c\nfix: fix t::b"
    # Outside the repository: the failing test's file, with no line.
    assert [(w.level, w.file, w.line) for w in warnings] == [(Level.WARNING, "repo/t", None)]


def note(level: Level, n: int) -> list[Annotation]:
    return [Annotation(level, f"{level} {i}", "m") for i in range(n)]


@pytest.mark.parametrize(
    ("errors", "warnings", "notice"),
    [
        (SHOWN, SHOWN, None),  # exactly what GitHub shows: no notice
        (SHOWN + 1, 0, "1 more error than"),
        (0, SHOWN + 2, "2 more warnings than"),
        (SHOWN + 5, SHOWN + 1, "5 more errors and 1 more warning than"),
    ],
)
def test_at_most_shown_of_each_level_then_one_notice(
    errors: int, warnings: int, notice: str | None
) -> None:
    lines = limited(note(Level.ERROR, errors), note(Level.WARNING, warnings), "S.md")
    assert [line.split(" ")[0] for line in lines if not line.startswith("::notice")] == [
        "::error"
    ] * min(errors, SHOWN) + ["::warning"] * min(warnings, SHOWN)
    notices = [line for line in lines if line.startswith("::notice")]
    if notice is None:
        assert notices == []
    else:
        assert len(notices) == 1 and notice in notices[0] and notices[0].endswith("in S.md")
        assert lines[-1] == notices[0]
