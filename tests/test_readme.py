"""The README's configuration table is OPTIONS rendered (tasks/options_doc.py), never drifted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tasks.options import OPTIONS, Option
from tasks.options_doc import (
    END,
    REGENERATE,
    START,
    default_markdown,
    main,
    options_table,
    readme_block,
    toml_literal,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_table_is_the_rendered_options() -> None:
    block = readme_block(README.read_text(encoding="utf-8"), README)
    assert block == options_table(), f"README.md's options table is stale; run: {REGENERATE}"


def test_one_row_per_option_in_options_order() -> None:
    rows = options_table().splitlines()[2:]
    assert [re.match(r"\| `(\w+)` \|", row)[1] for row in rows] == [o.name for o in OPTIONS]  # type: ignore[index]


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: o.name)
def test_help_is_safe_in_markdown(option: Option) -> None:
    # Outside code spans GitHub reads <x> as HTML, * as emphasis and | as a cell border.
    for text in (option.help, option.unset):
        prose = re.sub(r"`[^`]*`", "", text)
        assert not set("<>*|") & set(prose), text
        assert "\n" not in text


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        # a value: in code, as it would be written in [tool.phasegate]
        ("phase", '`"current"`'),
        ("tests", "`[]`"),
        ("orders", '`["reverse", "shuffle"]`'),
        ("file_floors", "`{}`"),
        ("runs", "`3`"),
        ("min_pass_rate", "`98.0`"),
        ("rerun_budget", "`300`"),  # a duration in whole seconds
        ("max_duration", "`3600`"),
        ("trending", '`".phasegate/trending.json"`'),
        # no value: what leaving the key unset does
        ("seed", "random"),
        ("install", "detected"),
        ("coverage_target", "not set"),
        ("summary", "`<reports_dir>/PHASE-SUMMARY.md`"),
    ],
)
def test_default_column(name: str, shown: str) -> None:
    assert default_markdown(next(o for o in OPTIONS if o.name == name)) == shown


def test_literals_of_a_fractional_duration_and_a_floor_table() -> None:
    assert toml_literal(Option("x", "duration", 1.5, "")) == "1.5"
    assert toml_literal(Option("x", "floors", {"src/*": 90.0}, "")) == '{"src/*" = 90}'


def test_a_pipe_in_a_help_is_escaped() -> None:
    table = options_table([Option("x", "str", "a", "one | two")])
    assert table.splitlines()[2] == '| `x` | `"a"` | `PHASEGATE_X` | one \\| two |'


# --- python -m tasks.options_doc ----------------------------------------------------------


def readme(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# title\n\nbefore\n\n{START}\n{table}{END}\n\nafter\n", encoding="utf-8")
    return path


def test_check_passes_on_a_fresh_table(tmp_path: Path) -> None:
    assert main(["--check", str(readme(tmp_path, options_table()))]) == 0


def test_check_fails_on_a_stale_table_and_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = readme(tmp_path, "| key |\n")
    assert main(["--check", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"{path}: the options table is stale; run: python -m tasks.options_doc --write README.md\n"
    )


def test_write_replaces_only_the_table_and_keeps_the_file_mode(tmp_path: Path) -> None:
    path = readme(tmp_path, "| stale |\n")
    path.chmod(0o644)
    assert main(["--write", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == (
        f"# title\n\nbefore\n\n{START}\n{options_table()}{END}\n\nafter\n"
    )
    assert path.stat().st_mode & 0o777 == 0o644
    assert main(["--check", str(path)]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "no markers\n",
        f"{END}\n{START}\n",  # the wrong way round
        f"{START}\n{START}\n{END}\n",
    ],
)
def test_missing_or_misplaced_markers_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    assert main(["--write", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"options_doc: error: {path}: needs one {START} line, then one {END} line "
        "around the table\n"
    )
    assert path.read_text(encoding="utf-8") == text


def test_without_a_file_it_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == options_table()
