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
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from tasks.artifacts.shape import check
from tasks.errors import HistoryError, MissingArtifactError, PhaseError

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of JSON artifact: what it holds and who writes it."""

    name: str
    schema: type[T]
    format: int
    produced_by: str  # the step (`phasegate <step>`) that writes it


def _umask() -> int:
    # The only portable way to read the umask is to set it and put it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and os.replace: never a partial file.

    The file gets the usual permissions (0o666 less the umask), not mkstemp's 0o600. Text that
    UTF-8 cannot encode (a lone surrogate from a test's failure message) is written as a
    backslash escape rather than failing the write. An OSError names `path` itself.
    """
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
        if isinstance(exc, OSError) and exc.errno and exc.filename != str(path):
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


# Left in every folder phasegate itself creates: only such a folder is ever removed whole.
OWNED_MARK = ".phasegate-created"


def make_owned_dir(path: Path) -> None:
    """Create the folder `path` (and its parents); mark it as phasegate's if it created it."""
    if path.is_dir():
        return
    path.mkdir(parents=True)
    (path / OWNED_MARK).write_text(
        "phasegate created this folder and may delete it with what it holds\n", encoding="utf-8"
    )


def remove_written(folder: Path, patterns: Iterable[str]) -> None:
    """Delete what phasegate writes in `folder`: the files matching `patterns`, and a matching
    folder only when phasegate created it. Anything else there is someone else's: kept."""
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_symlink() or not path.is_dir():
                path.unlink(missing_ok=True)
            elif (path / OWNED_MARK).is_file():
                shutil.rmtree(path)


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


def read_kept(path: Path, key: str, holds: type, newest: int, fix: str) -> dict[str, Any]:
    """A file meant to be committed (the history, the flaky record), which phasegate never
    rewrites unless it can read it: JSON with a version number up to `newest` and `key`
    holding a `holds` (list or dict). Anything else is refused with one line, the file left
    as it was."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{path}: not valid JSON ({exc}); {fix}") from None
    except OSError as exc:
        raise HistoryError(f"{path}: cannot be read ({exc.strerror}); {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), holds):
        shape = "[...]" if holds is list else "{...}"
        raise HistoryError(f'{path}: expected {{"format": {newest}, "{key}": {shape}}}; {fix}')
    found = data.get("format")
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        raise HistoryError(f"{path}: format {found!r} is not a version number; {fix}")
    if found > newest:
        raise HistoryError(
            f"{path}: format {found} was written by a newer phasegate (this one reads up to "
            f"{newest}); upgrade phasegate. The file was left untouched"
        )
    return data


def load_fresh(path: Path, kind: Kind[T], run_id: str) -> T | None:
    """An artifact made from the run `run_id`; None when absent or made from another run."""
    if not path.is_file():
        return None
    data = load(path, kind)
    fresh = cast("Mapping[str, Any]", data).get("base_run_id") == run_id
    return data if fresh else None
