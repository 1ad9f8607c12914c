"""What the source of a Python file says, without importing it: the functions whose bodies
run only when called (everything else runs at import time), and the modules a file imports
(a static import graph over the project)."""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Body:
    """The body of one function: lines `first`..`last` run only when it is called."""

    name: str
    first: int
    last: int

    def holds(self, line: int) -> bool:
        return self.first <= line <= self.last


def parse(source: bytes) -> ast.Module | None:
    """The module's syntax tree; None when it does not parse."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None


def bodies(tree: ast.Module) -> list[Body]:
    """Every function body (nested ones too). Decorators, the def line and default values are
    not body: they run when the def statement does."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            last = node.end_lineno or node.body[-1].lineno
            found.append(Body(node.name, node.body[0].lineno, last))
    return found


def innermost(found: Iterable[Body], *lines: int) -> Body | None:
    """The innermost function body holding all of `lines` (None: they run at import time)."""
    holding = [b for b in found if all(b.holds(n) for n in lines)]
    return min(holding, key=lambda b: b.last - b.first, default=None)


def module_names(path: Path, roots: Iterable[Path]) -> set[str]:
    """The dotted names `path` may be imported by: relative to each import root, and relative
    to the first folder above it without an __init__.py (pytest's rootdir-less insertion)."""
    names = set()
    base = path.parent
    while (base / "__init__.py").is_file() and base.parent != base:
        base = base.parent
    for root in (*roots, base):
        if path.is_relative_to(root):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts and parts[-1] == "__init__":
                parts.pop()
            if parts and all(p.isidentifier() for p in parts):
                names.add(".".join(parts))
    return names


def imports(tree: ast.Module, package: str) -> set[str]:
    """The dotted names a module imports (with every parent package, which runs too);
    `package` resolves relative imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".") if package else []
            parts = parts[: len(parts) - node.level + 1] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            found.update(f"{base}.{a.name}" if base else a.name for a in node.names)
            if base:
                found.add(base)
    return {".".join(n.split(".")[:i]) for n in found for i in range(1, n.count(".") + 2)}


def _entry(path: Path, source: bytes, roots: list[Path]) -> tuple[set[str], set[str]]:
    """(the module names of `path`, the names it imports); nothing for a file that does not
    parse (pytest reports it as a collection error of its own)."""
    tree = parse(source)
    own = module_names(path, roots)
    if tree is None:
        return own, set()
    package = max(own, key=len, default="")
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    return own, imports(tree, package)


@dataclasses.dataclass
class ImportGraph:
    """Who imports whom among the project's files, parsed only where needed: a file whose
    text does not hold a module's last name cannot import it (`from . import x` and
    `import a.x` both spell "x"), so most files are never parsed."""

    files: list[Path]
    roots: list[Path]
    texts: dict[Path, bytes] = dataclasses.field(default_factory=dict)
    parsed: dict[Path, tuple[set[str], set[str]]] = dataclasses.field(default_factory=dict)

    def text(self, path: Path) -> bytes:
        if path not in self.texts:
            try:
                self.texts[path] = path.read_bytes()
            except OSError:
                self.texts[path] = b""
        return self.texts[path]

    def entry(self, path: Path) -> tuple[set[str], set[str]]:
        if path not in self.parsed:
            self.parsed[path] = _entry(path, self.text(path), self.roots)
        return self.parsed[path]

    def importers(self, changed: set[str]) -> set[Path]:
        """The files importing any module of `changed`, directly or through others."""
        reached: set[Path] = set()
        names = set(changed)
        grew = True
        while grew:
            grew = False
            words = {n.rpartition(".")[2].encode() for n in names}
            for path in self.files:
                if path in reached or not any(w in self.text(path) for w in words):
                    continue
                own, wanted = self.entry(path)
                if wanted & names:
                    reached.add(path)
                    names |= own
                    grew = True
        return reached
