"""The README's configuration table, rendered from OPTIONS so the two cannot drift.

python -m tasks.options_doc                    # print the table
python -m tasks.options_doc --check README.md  # exit 1 when the README's table is stale
python -m tasks.options_doc --write README.md  # rewrite the table between the markers
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from tasks.artifacts import write_text_atomic
from tasks.errors import ExitCode
from tasks.options import OPTIONS, Option

START = "<!-- options-table:start -->"
END = "<!-- options-table:end -->"
REGENERATE = "python -m tasks.options_doc --write README.md"


def toml_literal(option: Option) -> str:
    """The default as it would be written in [tool.phasegate]."""
    value = option.default
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {v:g}' for k, v in value.items()) + "}"
    if option.kind == "duration" and float(value).is_integer():
        return str(int(value))  # seconds: 300, as a user would write it, not 300.0
    return str(value)


def default_markdown(option: Option) -> str:
    """The default column: the value in code, or what leaving the key unset does."""
    if option.default is None:
        return option.unset or "not set"
    return f"`{toml_literal(option)}`"


def default_plain(option: Option) -> str:
    """The default as `--help` shows it."""
    return default_markdown(option).replace("`", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def options_table(options: Iterable[Option] = OPTIONS) -> str:
    """The `| key | default | environment | meaning |` table, one row per option, in order."""
    lines = ["| key | default | environment | meaning |", "|---|---|---|---|"]
    lines += [
        f"| `{o.name}` | {_cell(default_markdown(o))} | `{o.env_var}` | {_cell(o.help)} |"
        for o in options
    ]
    return "\n".join(lines) + "\n"


def _bounds(text: str, path: Path) -> tuple[int, int]:
    """Where the generated block starts and ends (just inside the markers)."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{path}: needs one {START} line, then one {END} line around the table")
    return text.index(START) + len(START) + 1, text.index(END)


def readme_block(text: str, path: Path) -> str:
    """The text between the markers."""
    start, end = _bounds(text, path)
    return text[start:end]


def with_table(text: str, path: Path, table: str) -> str:
    """`text` with the block between the markers replaced by `table`."""
    start, end = _bounds(text, path)
    return text[:start] + table + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tasks.options_doc",
        description="Print, check or rewrite the README's configuration table (from OPTIONS).",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", metavar="FILE", type=Path, help="exit 1 if FILE's table is stale")
    what.add_argument("--write", metavar="FILE", type=Path, help="rewrite FILE's table")
    args = parser.parse_args(argv)
    table = options_table()
    path: Path | None = args.check or args.write
    if path is None:
        sys.stdout.write(table)
        return int(ExitCode.OK)
    try:
        text = path.read_text(encoding="utf-8")
        if args.check:
            if readme_block(text, path) != table:
                print(f"{path}: the options table is stale; run: {REGENERATE}", file=sys.stderr)
                return int(ExitCode.GATE_FAILED)
        else:
            updated = with_table(text, path, table)
            if updated != text:
                mode = path.stat().st_mode
                write_text_atomic(path, updated)
                path.chmod(mode)  # the temporary file was private; keep the README's own mode
    except (ValueError, OSError) as exc:
        print(f"options_doc: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    return int(ExitCode.OK)


if __name__ == "__main__":
    sys.exit(main())
