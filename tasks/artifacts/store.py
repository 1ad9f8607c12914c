"""Atomic writes, and the one versioned loader every artifact is read through.

Each artifact module declares a `Kind`: its name, its TypedDict, its format number (with the
format's history beside it) and the step that produces it. `write` stamps the format; `load`
refuses a file that is missing, not JSON, of another format or of another shape, naming the
step to rerun.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from tasks.artifacts.shape import check
from tasks.errors import MissingArtifactError, PhaseError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of JSON artifact: what it holds and who writes it."""

    name: str
    schema: type[T]
    format: int
    produced_by: str  # the step (`phasegate <step>`) that writes it


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and os.replace: never a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def write(path: Path, kind: Kind[T], data: T) -> None:
    """Write an artifact with its format number first."""
    body = cast("Mapping[str, Any]", data)
    write_text_atomic(path, json.dumps({"format": kind.format, **body}, indent=2) + "\n")


def from_json(kind: Kind[T], data: Any, source: str) -> T:
    """Parsed JSON as `kind`'s schema (the format number already checked and removed)."""
    problem = check(data, kind.schema)
    if problem:
        rerun = f"rerun `phasegate {kind.produced_by}`"
        raise PhaseError(f"{source}: not a {kind.name} artifact ({problem}); {rerun}")
    return cast("T", data)


def load(path: Path, kind: Kind[T]) -> T:
    """Read an artifact; a missing one names the step that makes it."""
    rerun = f"rerun `phasegate {kind.produced_by}`"
    if not path.is_file():
        raise MissingArtifactError(
            f"{path} not found: run `phasegate {kind.produced_by}` "
            f"(or `nox -s {kind.produced_by}`) first"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PhaseError(f"{path}: not valid JSON ({exc}); {rerun}") from None
    found = data.get("format") if isinstance(data, dict) else None
    if found != kind.format:
        raise MissingArtifactError(f"{path}: format {found!r}, expected {kind.format}; {rerun}")
    del data["format"]
    return from_json(kind, data, str(path))


def load_fresh(path: Path, kind: Kind[T], run_id: str) -> T | None:
    """An artifact made from the run `run_id`; None when absent or made from another run."""
    if not path.is_file():
        return None
    data = load(path, kind)
    fresh = cast("Mapping[str, Any]", data).get("base_run_id") == run_id
    return data if fresh else None
