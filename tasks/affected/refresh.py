"""Keep the impact index fresh without a full run: after the hook's verdict, a detached
process runs the tests it checked once more with per-test contexts (plus every test the index
says executes a file whose content changed since it was measured), then folds the fresh
entries into impact.json under the project's lock, atomically.

It never holds the push, never races a `validate` (it gives up when another phasegate run
holds the lock, or when the index changed while it measured) and never leaves a partial file.
With no index at all and no node ids, it measures the whole suite and writes the first one.
Its output goes to `<reports_dir>/refresh/refresh.log`. The measuring process is
`tasks.affected.refresher`; this module only starts it, importing nothing heavy.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from tasks.artifacts import Artifacts, store
from tasks.config import PhaseConfig
from tasks.processes import helper_env, helper_python


def folder(config: PhaseConfig) -> Path:
    return Artifacts(config.reports_dir).root / "refresh"


def start(config: PhaseConfig, python: Path, nodeids: Sequence[str]) -> None:
    """Start the refresh of `nodeids` (empty: the whole suite) in a detached process and
    return at once; its result is only ever a better index."""
    work = folder(config)
    work.mkdir(parents=True, exist_ok=True)
    request = work / f"request-{uuid.uuid4().hex}.json"
    body = {"project": str(config.project), "python": str(python), "nodeids": list(nodeids)}
    store.write_text_atomic(request, json.dumps(body))
    argv = helper_python("tasks.affected.refresher", str(request))
    log = os.open(work / "refresh.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        # A new session, not remembered by phasegate's exit hook: it outlives the hook.
        os.posix_spawn(
            argv[0],
            argv,
            helper_env(),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, null, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log)
        os.close(null)
