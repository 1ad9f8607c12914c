"""Deterministic single-line mutations of a project's production code, for
bench_hook_selection.py: operator flips, constant changes and removed statements, each on a
line the baseline run executed, each leaving the file parseable."""

from __future__ import annotations

import ast
import dataclasses
import random
import re
from collections.abc import Iterable
from pathlib import Path

FLIPS = (
    (" == ", " != "),
    (" != ", " == "),
    (" < ", " >= "),
    (" > ", " <= "),
    (" <= ", " > "),
    (" >= ", " < "),
    (" + ", " - "),
    (" - ", " + "),
    (" and ", " or "),
    (" or ", " and "),
    ("not ", ""),
    ("True", "False"),
    ("False", "True"),
)
NUMBER = re.compile(r"(?<![\w.'\"])(\d+)(?![\w.'\"])")
SIMPLE = (ast.Assign, ast.AugAssign, ast.Expr, ast.Return, ast.AnnAssign, ast.Raise)


@dataclasses.dataclass(frozen=True)
class Mutation:
    path: str  # relative to the project
    line: int
    kind: str  # flip, constant, remove
    old: str
    new: str

    def apply(self, project: Path) -> None:
        file = project / self.path
        lines = file.read_text(encoding="utf-8").split("\n")
        if lines[self.line - 1] != self.old:
            raise SystemExit(f"{self.path}:{self.line} is not {self.old!r}: another version?")
        lines[self.line - 1] = self.new
        file.write_text("\n".join(lines), encoding="utf-8")


def _strings(tree: ast.Module) -> set[int]:
    """Lines holding a string literal (mutating them is mostly noise in docstrings)."""
    return {
        n
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def _variants(text: str, stmt: ast.stmt | None) -> Iterable[tuple[str, str]]:
    for old, new in FLIPS:
        if old in text:
            yield "flip", text.replace(old, new, 1)
    match = NUMBER.search(text)
    if match:
        value = int(match[1])
        yield "constant", text[: match.start()] + str(value + 1) + text[match.end() :]
    if stmt is not None:
        indent = text[: len(text) - len(text.lstrip())]
        yield "remove", indent + "pass"


def candidates(project: Path, file: str, executed: set[int]) -> list[Mutation]:
    source = (project / file).read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.split("\n")
    strings = _strings(tree)
    simple = {
        node.lineno: node
        for node in ast.walk(tree)
        if isinstance(node, SIMPLE) and node.lineno == node.end_lineno
    }
    found = []
    for number in sorted(executed - strings):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith(("#", "def ", "class ", "@")):
            continue
        for kind, new in _variants(text, simple.get(number)):
            mutated = [*lines[: number - 1], new, *lines[number:]]
            try:
                ast.parse("\n".join(mutated))
            except SyntaxError:
                continue
            found.append(Mutation(file, number, kind, text, new))
    return found


def generate(project: Path, executed: dict[str, set[int]], count: int, seed: int) -> list[Mutation]:
    """`count` mutations, drawn with `seed` from every candidate, at most 3 per file."""
    pool = [m for file in sorted(executed) for m in candidates(project, file, executed[file])]
    rng = random.Random(seed)  # noqa: S311 - a replayable draw, not a secret
    rng.shuffle(pool)
    chosen: list[Mutation] = []
    per_file: dict[str, int] = {}
    for mutation in pool:
        if per_file.get(mutation.path, 0) < 3 and len(chosen) < count:
            chosen.append(mutation)
            per_file[mutation.path] = per_file.get(mutation.path, 0) + 1
    return chosen
