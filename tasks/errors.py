"""The exception hierarchy, the documented exit codes, and the one mapping from a problem on
the user's side (a full disk, a read-only folder, a coverage data file of another version) to
an exit code with one line.

Helpers raise; only the edges (cli.py, sessions.py) turn an exception into an exit code, both
through `user_error`. Exit 3 is for phasegate's own bugs only, always with the trace.
"""

from __future__ import annotations

import enum
import errno
import os
import sys
from collections.abc import Callable


class ExitCode(enum.IntEnum):
    """What `phasegate` and the nox sessions exit with (documented in the README)."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class PhaseError(Exception):
    """Base of every error phasegate reports to the user as one clear line: a problem on the
    user's side (config, project, environment, an artifact), never a bug, so never exit 3."""

    exit_code: ExitCode = ExitCode.USAGE


class ConfigError(PhaseError):
    """A bad option value, a bad argument, or a project phasegate cannot validate."""


class MissingArtifactError(ConfigError):
    """A step's input is missing: the message names the step to run first."""


class NoTestsError(ConfigError):
    """Pytest collected no test: never a success."""


class GitError(PhaseError):
    """A git command failed."""


class RepositoryRefusedError(PhaseError):
    """git will not read the repository (another user owns it: safe.directory). Not a
    GitError, so no caller takes it for "no repository" or "no such commit"."""


class HistoryError(PhaseError):
    """The coverage history file is unreadable or newer than this phasegate; left untouched."""


class EnvironmentSetupError(PhaseError):
    """The test environment could not be created or installed."""


class LockedError(PhaseError):
    """Another phasegate run holds the project's lock."""


class ReportsVanishedError(PhaseError):
    """The reports folder was deleted or replaced while a step was writing to it."""


# A file operation that failed for a reason outside phasegate: the disk, the permissions,
# the path the user chose. Any other OSError is a bug and keeps its trace.
USER_SIDE_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.EIO,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)
_OS_FIX = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space (disk quota exceeded)",
    errno.EROFS: "choose a writable folder",
    errno.EACCES: "check the folder's permissions",
    errno.EPERM: "check the folder's permissions",
}


def user_error(exc: Exception, where: Callable[[str], str | None]) -> PhaseError | None:
    """The one-line user error for `exc`, or None when it is a bug (exit 3 with the trace).

    `where(path)` names the setting a path came from (`reports_dir = ... (the default)`),
    or None when no setting chose it.
    """
    if isinstance(exc, PhaseError):
        return exc
    if isinstance(exc, OSError) and exc.errno in USER_SIDE_ERRNOS:
        path = os.fsdecode(exc.filename) if exc.filename is not None else "a file"
        reason = exc.strerror or os.strerror(exc.errno or 0)
        fix = _OS_FIX.get(exc.errno or 0)
        setting = where(path)
        return PhaseError(
            f"{path}: {reason}" + (f"; {fix}" if fix else "") + (f" ({setting})" if setting else "")
        )
    # Only a process that imported coverage can have raised its exception: the hook's quick
    # paths never import it (it takes a fifth of a second).
    coverage = sys.modules.get("coverage")
    if coverage is not None and isinstance(exc, coverage.CoverageException):
        coverage_version = coverage.__version__
        return PhaseError(
            f"coverage.py: {exc}; rerun `phasegate run` to measure again (if this comes back, "
            f"the test environment's coverage.py is not phasegate's {coverage_version}: "
            "install the same version in both)"
        )
    return None


class RunTimeoutError(PhaseError):
    """A pytest process hit its time limit where no test was running to blame: the run failed."""

    exit_code = ExitCode.GATE_FAILED
