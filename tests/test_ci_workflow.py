"""GitHub's workflow-command syntax: escaping, commands, output lines, folded groups."""

from __future__ import annotations

import io

import pytest

from tasks.ci.detect import Ci, detect
from tasks.ci.workflow import command, escape_data, escape_property, group, output_lines


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        # % first, so an escape is never escaped twice
        ("100%", "100%25", "100%25"),
        ("%0A", "%250A", "%250A"),
        # line breaks: a message stays one line
        ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
        # `:` and `,` end a property, not a message
        ("tests/x.py:3, y", "tests/x.py:3, y", "tests/x.py%3A3%2C y"),
    ],
)
def test_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_a_command_with_and_without_properties() -> None:
    assert command("notice", "done") == "::notice::done"
    assert (
        command("error", "x: 1%\nfix", {"file": "a,b.py", "line": 3, "col": None, "title": "t:1"})
        == "::error file=a%2Cb.py,line=3,title=t%3A1::x: 1%25%0Afix"
    )


def test_output_lines_never_break_a_value() -> None:
    assert output_lines({"passed": "true", "phase": "two\nlines"}) == (
        "passed=true\nphase=two lines\n"
    )


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        (["a\n", "b\n"], "::group::pytest: run 1%25\na\nb\n::endgroup::\n"),
        # stopped midway: progress dots with no line end; the marker still starts a line
        (["tests/test_x.py .."], "::group::pytest: run 1%25\ntests/test_x.py ..\n::endgroup::\n"),
        ([], "::group::pytest: run 1%25\n::endgroup::\n"),
    ],
)
def test_group_markers_start_their_own_lines(written: list[str], shown: str) -> None:
    stream = io.StringIO()
    with group(stream, "pytest: run 1%", enabled=True) as write:
        for text in written:
            write(text)
    assert stream.getvalue() == shown


def test_no_markers_when_not_enabled() -> None:
    stream = io.StringIO()
    with group(stream, "pytest: run", enabled=False) as write:
        write("a\n")
    assert stream.getvalue() == "a\n"


@pytest.mark.parametrize(
    ("env", "ci"),
    [
        ({"GITHUB_ACTIONS": "true"}, Ci.GITHUB),
        ({"GITLAB_CI": "true"}, Ci.GITLAB),
        ({"GITHUB_ACTIONS": "false"}, None),  # set, but not to the CI's own value
        ({"CI": "true"}, None),  # some other CI: nothing of its own to write to
        ({}, None),
    ],
)
def test_detection_from_the_cis_own_variables(env: dict[str, str], ci: Ci | None) -> None:
    assert detect(env) is ci
