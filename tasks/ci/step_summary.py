"""The phase summary as a GitHub job summary ($GITHUB_STEP_SUMMARY), within GitHub's 1 MiB
per step: the per-test tables are cut first, then the per-file ones, then the rest of the
detail; the overview and the gates never. What was cut is said at the top.

It works on the summary markdown phasegate wrote (tasks.summary.markdown): GitHub-style
tables are runs of lines starting with `|`, named here by their first header cell.
"""

from __future__ import annotations

import dataclasses
import re

LIMIT = 1024 * 1024  # GitHub refuses a step's summary beyond this many bytes
# What may be cut, first to last: tables by their first header cell (per test, then per
# file, then per root cause and per run) and the per-failure evidence list.
TRIMMABLE = {
    "Test": "per-test rows (failures, flaky tests)",
    "### Evidence and proposed fixes": "the evidence of each failure",
    "File": "per-file coverage rows",
    "Tests": "root-cause rows",
    "Run": "per-run rows",
}
_WHY = "GitHub's 1 MiB limit"
_CHART = re.compile(r"^!\[[^\]]*\]\([^)]*\.svg\)$")  # a relative link GitHub cannot resolve


@dataclasses.dataclass
class _Block:
    name: str  # the table's first header cell or the list's heading; "" for other text
    head: list[str]  # kept whatever happens
    rows: list[str]  # may be cut


def _header_name(line: str) -> str:
    return line.strip().strip("|").split("|")[0].strip()


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|"):
            end = i
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            blocks.append(_Block(_header_name(line), lines[i : i + 2], lines[i + 2 : end]))
            i = end
        elif line.startswith("### Evidence"):
            end = i + 2  # the heading and the blank line after it
            items: list[str] = []  # one per failure: its line and the lines under it
            while end < len(lines) and lines[end].startswith(("- ", "  ")):
                if lines[end].startswith("- ") or not items:
                    items.append(lines[end])
                else:
                    items[-1] += "\n" + lines[end]
                end += 1
            blocks.append(_Block(line, lines[i : i + 2], items))
            i = end
        else:
            blocks.append(_Block("", [line], []))
            i += 1
    return blocks


def _size(blocks: list[_Block]) -> int:
    return sum(len(line.encode()) + 1 for b in blocks for line in [*b.head, *b.rows])


def _cut(block: _Block, excess: int, full: str) -> None:
    """Drop rows from the end until `excess` bytes are gone (or none is left); a note in
    their place says how many."""
    total = keep = len(block.rows)
    saved = 0
    while keep > 0 and saved < excess + 200:  # 200: room for the note
        keep -= 1
        saved += len(block.rows[keep].encode()) + 1
    if block.name.startswith("#"):  # a list goes on with one more item
        note = (
            f"- *{total - keep} of {total} failures' evidence not shown here ({_WHY}): see {full}.*"
        )
        block.rows = [*block.rows[:keep], note]
    else:  # a table ends at a blank line: a text line right after it would be one more row
        note = f"*{total - keep} of {total} rows not shown here ({_WHY}): see {full}.*"
        block.rows = [*block.rows[:keep], "", note]
        if not keep:  # no header over no rows
            block.head, block.rows = [], [note]


def for_github(markdown: str, budget: int, full: str) -> tuple[str, list[str]]:
    """The summary to append, within `budget` bytes, and what was cut. `full` names where
    the whole summary is (the reports artifact)."""
    body = markdown.removeprefix("---\n")
    if body != markdown:  # front matter: data for the next phase, noise on a job page
        body = body.partition("\n---\n")[2].lstrip("\n")
    lines = [line for line in body.splitlines() if not _CHART.match(line)]
    blocks = _blocks(lines)
    room = budget - 600  # the note at the top
    trimmed: list[str] = []  # what was cut, in words
    for name, words in TRIMMABLE.items():
        for block in blocks:
            excess = _size(blocks) - room
            if excess <= 0:
                break
            if block.name == name and block.rows:
                _cut(block, excess, full)
                trimmed.append(words)
    text = "\n".join(line for b in blocks for line in [*b.head, *b.rows]) + "\n"
    if len(text.encode()) > room:  # the gates stay: everything after them goes
        text = _up_to_gates(text)
        trimmed = ["every section after the gates"]
    if trimmed:
        what = "; ".join(dict.fromkeys(trimmed))
        note = f"> **Trimmed** to fit GitHub's 1 MiB job summary: {what}. The full summary: {full}."
        text = f"{note}\n\n{text}"
    return text, list(dict.fromkeys(trimmed))


def _up_to_gates(text: str) -> str:
    head, sep, rest = text.partition("## Gates\n")
    gates = rest.split("\n## ", 1)[0]
    return head + sep + gates.rstrip("\n") + "\n"
