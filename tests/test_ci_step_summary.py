"""The job summary within GitHub's 1 MiB: what is cut first, and the gates never."""

from __future__ import annotations

import pytest

from tasks.ci.step_summary import for_github
from tests.test_ci_github import GithubRun, many  # noqa: F401  (the shared run)

pytestmark = pytest.mark.xdist_group("github")
FULL = "`PHASE-SUMMARY.md`"


def sections(markdown: str) -> dict[str, str]:
    parts = ("\n" + markdown).split("\n## ")[1:]
    return {p.split("\n", 1)[0]: p for p in parts}


@pytest.fixture
def written(many: GithubRun) -> str:  # noqa: F811
    return (many.project / ".phasegate/reports/PHASE-SUMMARY.md").read_text()


def test_within_budget_nothing_is_cut(written: str) -> None:
    text, trimmed = for_github(written, len(written.encode()) + 1000, FULL)
    assert trimmed == [] and text.startswith("# Phase summary: many\n")


@pytest.mark.parametrize(
    ("budget", "cut"),
    [
        (15000, ["per-test rows (failures, flaky tests)", "the evidence of each failure"]),
        (8000, ["per-test rows (failures, flaky tests)", "the evidence of each failure"]),
        (4000, ["every section after the gates"]),
    ],
)
def test_rows_go_first_then_whole_sections_never_the_gates(
    written: str, budget: int, cut: list[str]
) -> None:
    text, trimmed = for_github(written, budget, FULL)
    assert trimmed == cut
    assert len(text.encode()) <= budget
    assert text.startswith(f"> **Trimmed** to fit GitHub's 1 MiB job summary: {'; '.join(cut)}.")
    assert sections(text)["Gates"] == sections(written)["Gates"]
    assert sections(text)["Overview"] == sections(written)["Overview"]
    if "every section after the gates" not in cut:
        assert "## Quality metrics" in text  # a section is kept, only its rows are cut
        assert "rows not shown here (GitHub's 1 MiB limit): see `PHASE-SUMMARY.md`." in text
