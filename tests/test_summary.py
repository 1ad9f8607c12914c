"""The summary markdown is a pure function of its data: checked against a golden file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tasks.summary.step import render_markdown

GOLDEN = Path(__file__).parent / "golden" / "summary.md"


def summary_data() -> dict[str, Any]:
    gate = {
        "name": "coverage target",
        "target": ">= 80%",
        "actual": "75.50%",
        "status": "fail",
        "detail": "total coverage is 75.50%, below the 80% required",
    }
    return {
        "phase": "19-coverage-push",
        "date": "2026-11-25",
        "passed": False,
        "base": "0123456789abcdef0123",
        "base_note": "phase 18-bugs's commit",
        "run": {
            "counts": {"passed": 98, "failed": 1, "error": 1, "skipped": 2},
            "pass_rate": 98.0,
            "duration": 12.5,
            "python": "3.11.7",
        },
        "tests_total": 102,
        "tests_created": 14,
        "fixes": {"test": 2, "production": 3, "flaky": 1},
        "stability": {
            "runs": [
                {
                    "index": 1,
                    "order": "file",
                    "seed": None,
                    "counts": {"passed": 98, "failed": 2},
                    "pass_rate": 98.0,
                    "duration": 12.5,
                },
                {
                    "index": 2,
                    "order": "reverse",
                    "seed": None,
                    "counts": {"passed": 99, "failed": 1},
                    "pass_rate": 99.0,
                    "duration": 11.0,
                },
            ],
            "flaky": [
                {
                    "nodeid": "tests/test_a.py::test_clock",
                    "outcomes": ["failed", "passed"],
                    "kind": "order-dependent",
                    "k_of_n": "passed 1 of 2",
                    "alone": ["passed", "passed", "passed"],
                    "culprit": "tests/test_a.py::test_sets_tz",
                    "culprit_role": "polluter",
                    "quarantined": {
                        "test": "tests/test_a.py::test_clock",
                        "reason": "tz leak",
                        "owner": "alice",
                        "expires": "2026-12-31",
                    },
                    "repro": "python -m pytest -p no:randomly tests/test_a.py::test_sets_tz "
                    "tests/test_a.py::test_clock",
                }
            ],
            "proves": "2 clean runs bound a test's failure rate below 77% at 95% confidence",
        },
        "coverage": {
            "total": 75.5,
            "display": "75.50%",
            "precision": 2,
            "diff": {"covered": 30, "coverable": 40},
            "files_added": ["pkg/b.py"],
            "baseline": 70.25,
            "increase": 5.25,
            "baseline_note": "phase 18-bugs",
            "warnings": [],
            "files": [
                {"file": "pkg/a.py", "statements": 100, "missing": 40, "display": "60.00"},
                {"file": "pkg/b.py", "statements": 50, "missing": 0, "display": "100.00"},
            ],
            "files_tested": ["pkg/a.py"],
            "gaps": [{"file": "pkg/a.py", "missing": 40, "display": "60.00"}],
        },
        "triage": {
            "headline": "1 root cause (2 failures and errors)",
            "by_category": {"test": 0, "production": 2, "flaky": 0, "environment": 0},
            "groups": [
                {
                    "count": 2,
                    "category": "production",
                    "exception": "ZeroDivisionError",
                    "site": "pkg/a.py:12",
                    "message": "division by zero",
                }
            ],
            "failures": [
                {
                    "nodeid": "tests/test_a.py::test_avg",
                    "category": "production",
                    "confidence": "high",
                    "reason": "ZeroDivisionError raised inside production code",
                    "evidence": [
                        "ZeroDivisionError was raised at pkg/a.py:12 in avg(), which is "
                        "production code"
                    ],
                    "fix": "fix the code at pkg/a.py:12: it raises ZeroDivisionError",
                    "repro": "python -m pytest -p no:randomly tests/test_a.py::test_avg",
                }
            ],
        },
        "gates": [gate],
        "history": [
            {"phase": "18-bugs", "coverage": 70.25},
            {"phase": "19-coverage-push", "coverage": 75.5},
        ],
        "chart": "PHASE-SUMMARY-coverage.svg",
        "artifacts": "reports/phasegate",
    }


def test_summary_matches_golden_file() -> None:
    text = render_markdown(summary_data())
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()


def test_front_matter_lists_the_coverage_gaps_for_planning_tools() -> None:
    text = render_markdown(summary_data())
    front = text.split("---\n")[1]
    assert "next_phase:\n  coverage_gaps:\n    - pkg/a.py\n" in front


def test_trend_chart_svg_is_valid_and_shows_every_phase() -> None:
    from xml.etree import ElementTree

    from tasks.summary.chart import coverage_svg

    svg = coverage_svg([("18-bugs", 70.25), ("19-coverage-push", 75.5), ("20-<next>", 80.0)])
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own output) well-formed, escaped
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert {"18-bugs", "19-coverage-push", "20-<next>"} <= set(texts)
    assert {"70.25%", "75.50%", "80.00%"} <= set(texts)
    assert len(list(root.iter(f"{ns}circle"))) == 3
