"""The summary markdown is a pure function of its data: checked against a golden file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tasks.artifacts import store
from tasks.artifacts.coverage import COVERAGE
from tasks.artifacts.run import RUN
from tasks.artifacts.stability import STABILITY
from tasks.artifacts.triage import TRIAGE
from tasks.summary.markdown import render_markdown
from tasks.summary.model import Summary

GOLDEN = Path(__file__).parent / "golden" / "summary.md"
INPUT = Path(__file__).parent / "golden" / "summary-input.json"


def summary_data() -> Summary:
    """The golden input: each artifact checked against its schema, as the summary step reads
    it, so the input cannot drift from what the producers write."""
    data = json.loads(INPUT.read_text(encoding="utf-8"))
    facts = data["facts"]
    return Summary(
        **facts,
        run=store.from_json(RUN, data["run"], "run"),
        stability=store.from_json(STABILITY, data["stability"], "stability"),
        coverage=store.from_json(COVERAGE, data["coverage"], "coverage"),
        triage=store.from_json(TRIAGE, data["triage"], "triage"),
    )


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


def test_table_cells_and_code_spans_survive_pipes_backticks_and_newlines() -> None:
    from tasks.summary.markdown import cell, code

    # A parametrize id with a pipe, a message over two lines: one cell, pipes escaped.
    assert cell("test_x[a|b]") == "test_x[a\\|b]"
    assert cell("line one\n  line two") == "line one line two"
    # A code span holding backticks is fenced with a longer run of them.
    assert code("pytest -k 'a or b'") == "`pytest -k 'a or b'`"
    assert code("echo `date`") == "`` echo `date` ``"
    assert code("a `b` c") == "``a `b` c``"
    assert code("`x`") == "`` `x` ``"
    summary = summary_data()
    failures = summary.triage["failures"] if summary.triage else []
    failures[0]["message"] = failures[0]["reason"] = "expected 1 | 2, got `3`"
    failures[0]["nodeid"] = "tests/test_a.py::test_avg[x|y]"
    from tasks.summary.markdown import render_markdown as render

    row = next(line for line in render(summary).splitlines() if "test_avg[x" in line)
    unescaped = row.replace("\\|", "")
    assert unescaped.count("|") == 5  # four columns: five separators, none from the content
