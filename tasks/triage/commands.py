"""Recognisers of what the machine lacks among commands and files: a command that is not
installed, a command that is not the project's own failing, a file outside the project that
is not there. Part of `ENVIRONMENT_RULES` (tasks.triage.environment)."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

from tasks.triage.case import Case
from tasks.triage.facts import Category, Confidence, Verdict

NO_SUCH_FILE = re.compile(r"\[Errno 2\] No such file or directory: '([^']+)'")
# subprocess.CalledProcessError's str(): the command as given (a list's repr, or a string).
COMMAND_FAILED = re.compile(
    r"Command '(?P<cmd>.*)' (?:returned non-zero exit status (?P<status>-?\d+)"
    r"|died with (?:<Signals\.(?P<signal>\w+): \d+>|unknown signal (?P<number>\d+)))\.",
    re.DOTALL,
)
# Commands that run other code: whose code fails is in their arguments, not their name.
RUNNERS = re.compile(r"(python|pypy)[\d.]*|sh|bash|zsh|env|uv|uvx|nox|tox|pytest|coverage")


def _missing_name(case: Case) -> str | None:
    """The name in a FileNotFoundError's "No such file or directory: '...'"."""
    if case.facts.exc_type != "builtins.FileNotFoundError":
        return None
    match = NO_SUCH_FILE.search(case.facts.message)
    return match[1] if match else None


def command_not_installed(case: Case) -> Verdict | None:
    """subprocess could not start a command by its bare name: it is not on PATH."""
    name = _missing_name(case)
    if name is None or "/" in name or "\\" in name:
        return None
    if not any("subprocess" in str(f["path"]) for f in case.facts.frames):
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.HIGH,
        f"the command {name} is not installed",
        [f"starting {name!r} failed: no such file on PATH"],
        f"install {name} in the test environment, or skip the test where it is missing",
    )


def foreign_command_failed(case: Case) -> Verdict | None:
    """A command that is not the project's own (a database client, a system tool) exited
    non-zero: what it checks or needs is missing or down on this machine. The project's own
    commands, and interpreters or shells running code, are left to the rules by location."""
    facts = case.facts
    if facts.exc_type == "subprocess.CalledProcessError":
        failed = COMMAND_FAILED.match(facts.message)
    elif facts.cause is not None and facts.cause.get("type") == "subprocess.CalledProcessError":
        failed = COMMAND_FAILED.match(str(facts.cause.get("message")))
    else:
        return None
    if failed is None:
        return None
    argv = _argv(failed["cmd"])
    if not argv or _project_command(argv[0], case):
        return None
    name = Path(argv[0]).name
    status, signal = failed["status"], failed["signal"] or failed["number"]
    ended = f"exit status {status}" if status else f"signal {signal}"
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        f"the command {name}, not the project's own, failed ({ended})",
        [
            f"{name} is not one of the project's commands, and it ended with {ended}: "
            f"{' '.join(argv)}",
            case.where,
        ],
        f"check that what {name} needs (a server, a service, a login) is up and reachable in "
        "the test environment (its stderr says what failed), or skip the test where it is not",
    )


def _argv(cmd: str) -> list[str]:
    """The command of a CalledProcessError's message as a list of arguments."""
    try:
        value = ast.literal_eval(cmd)
    except (ValueError, SyntaxError):  # e.g. a list holding PosixPath('...')
        value = re.findall(r"'([^']*)'", cmd) if cmd.startswith(("[", "(")) else cmd
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _project_command(executable: str, case: Case) -> bool:
    """The project's own script or console script, or a runner of code (a Python, a shell)."""
    layout = case.layout
    path = Path(executable)
    name = path.name.removesuffix(".exe")
    if RUNNERS.fullmatch(name) or name.replace("-", "_") in layout.top_modules:
        return True
    if "/" in executable or "\\" in executable:
        full = path if path.is_absolute() else layout.project / path
        return layout.in_project(str(full))
    return False


def file_outside_project(case: Case) -> Verdict | None:
    """A missing file outside the project: the machine lacks it. (A missing file inside the
    project is the project's to have: the rules by location decide.)"""
    name = _missing_name(case)
    if name is None or ("/" not in name and "\\" not in name):
        return None
    layout = case.layout
    path = Path(name) if Path(name).is_absolute() else layout.project / name
    if layout.in_project(str(path.resolve())):
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        f"{name} does not exist on this machine",
        [f"FileNotFoundError for {name}, which is outside the project"],
        f"create {name} in the test environment, or point the test at a file of its own",
    )
