"""The exception hierarchy and the documented exit codes.

Helpers raise; only the edges (cli.py, sessions.py) turn an exception into an exit code.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What `phasegate` and the nox sessions exit with (documented in the README)."""

    OK = 0
    GATE_FAILED = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130


class PhaseError(Exception):
    """Base of every error phasegate reports to the user as one clear line."""

    exit_code: ExitCode = ExitCode.INTERNAL


class ConfigError(PhaseError):
    """A bad option value, a bad argument, or a project phasegate cannot validate."""

    exit_code = ExitCode.USAGE


class MissingArtifactError(ConfigError):
    """A step's input is missing: the message names the step to run first."""


class NoTestsError(ConfigError):
    """Pytest collected no test: never a success."""


class GitError(PhaseError):
    """A git command failed."""

    exit_code = ExitCode.USAGE


class HistoryError(PhaseError):
    """The coverage history file is unreadable or newer than this phasegate; left untouched."""

    exit_code = ExitCode.USAGE


class EnvironmentSetupError(PhaseError):
    """The test environment could not be created or installed."""

    exit_code = ExitCode.USAGE


class RunTimeoutError(PhaseError):
    """A pytest process hit its time limit where no test was running to blame: the run failed."""

    exit_code = ExitCode.GATE_FAILED
