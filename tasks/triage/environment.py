"""Recognisers of the environment: failures that say the machine the tests run on lacks
something (a service, the network, time, a permission, a free port, a variable, a module, a
command, a file), not that the test or the code is wrong. Each looks for one kind of signal;
`ENVIRONMENT_RULES` tries them in order."""

from __future__ import annotations

import re
from pathlib import Path

from tasks.triage.case import Case, Rule
from tasks.triage.commands import (
    command_not_installed,
    file_outside_project,
    foreign_command_failed,
)
from tasks.triage.facts import ASSERTION_TYPES, Category, Confidence, Verdict, first_line, short

NETWORK_TYPES = frozenset(
    {
        "builtins.ConnectionRefusedError",
        "builtins.ConnectionResetError",
        "builtins.ConnectionAbortedError",
        "builtins.ConnectionError",
        "socket.gaierror",
        "socket.herror",
        "urllib.error.URLError",
        "http.client.RemoteDisconnected",
        "requests.exceptions.ConnectionError",
        "httpx.ConnectError",
        "aiohttp.client_exceptions.ClientConnectorError",
        "redis.exceptions.ConnectionError",
        "psycopg2.OperationalError",
        "sqlalchemy.exc.OperationalError",
    }
)
TIMEOUT_TYPES = frozenset(
    {
        "builtins.TimeoutError",  # socket.timeout is an alias of it since Python 3.10
        "socket.timeout",
        "requests.exceptions.ConnectTimeout",
        "requests.exceptions.ReadTimeout",
        "requests.exceptions.Timeout",
        "httpx.ConnectTimeout",
        "httpx.ReadTimeout",
        "pymongo.errors.ServerSelectionTimeoutError",
        "subprocess.TimeoutExpired",
    }
)
ENV_MESSAGES = re.compile(
    r"connection refused|name or service not known|temporary failure in name resolution|"
    r"nodename nor servname|network is unreachable|no route to host|timed out|"
    r"permission denied|no space left on device|read-only file system|"
    r"could not connect to server|failed to establish a new connection|"
    r"address already in use|too many open files|certificate verify failed|"
    r"cannot open shared object file|unable to open database file|connection reset by peer",
    re.IGNORECASE,
)
ENV_READ = re.compile(r"os\.environ\b|os\.getenv\(|getenv\(")
ENV_NAME = re.compile(r"""(?:environ(?:\.get)?[\[(]|getenv\()\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")


def _raised_type(case: Case, types: frozenset[str], why: str, fix: str) -> Verdict | None:
    """The exception, or the one it was raised from, is of one of `types`."""
    found = next((t for t in case.facts.types if t in types), None)
    if found is None:
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.HIGH,
        f"{short(found)}: the environment, not the code",
        [f"{short(found)} is raised when {why}: {first_line(case.facts.messages)}", case.where],
        fix,
    )


def network_unreachable(case: Case) -> Verdict | None:
    return _raised_type(
        case,
        NETWORK_TYPES,
        "a service or the network cannot be reached",
        "start or reach the service the test needs, or mock the call in the test",
    )


def timed_out(case: Case) -> Verdict | None:
    return _raised_type(
        case,
        TIMEOUT_TYPES,
        "a service, a process or the network does not answer in time",
        "check that what it waits for is up and answers in time on this machine, "
        "or mock the slow call in the test",
    )


def permission_denied(case: Case) -> Verdict | None:
    return _raised_type(
        case,
        frozenset({"builtins.PermissionError"}),
        "the user running the tests may not read, write or run a file",
        "fix the permissions of the file it touches",
    )


def port_in_use(case: Case) -> Verdict | None:
    facts = case.facts
    if facts.exc_type in ASSERTION_TYPES or "address already in use" not in facts.messages.lower():
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        "a port it binds is already in use",
        [
            f"{short(facts.exc_type)}: {first_line(facts.messages)}: another process, or a "
            "test before it that did not close its socket, holds the port",
            case.where,
        ],
        "stop what holds the port, or have the test bind port 0 and use the port it gets",
    )


def missing_env_var(case: Case) -> Verdict | None:
    """A KeyError raised by `os.environ[...]`."""
    facts = case.facts
    frames = facts.frames
    if facts.exc_type != "builtins.KeyError" or not frames:
        return None
    if Path(str(frames[-1]["path"])).name not in ("os.py", "<frozen os>"):
        return None
    var = facts.message.strip("'\"")
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.HIGH,
        f"environment variable {var} is not set",
        [f"KeyError {facts.message} was raised by os.environ", case.where],
        f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
    )


def module_not_installed(case: Case) -> Verdict | None:
    """No module named X, where X is not one of the project's own modules."""
    if case.facts.exc_type != "builtins.ModuleNotFoundError":
        return None
    exc = case.record.exception or {}
    missing = str(exc.get("name") or "").split(".")[0]
    own = case.layout.top_modules
    if not missing or missing in own:
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.HIGH,
        f"third-party module {missing} is not installed",
        [
            f"No module named {missing!r}: it is not part of the project "
            f"(its own modules are {', '.join(sorted(own))})"
        ],
        f"install {missing} in the test environment (add it to the test "
        f"dependencies or to `install` in [tool.phasegate])",
        # Every module that fails to import it shares this one root cause.
        cause=f"module {missing} not installed",
    )


def env_read_in_assert(case: Case) -> Verdict | None:
    """An assertion that failed on a value read from the environment."""
    if case.facts.exc_type not in ASSERTION_TYPES:
        return None
    lines = case.record.longrepr.splitlines()
    failing = [line[1:].strip() for line in lines if line.startswith(">")]
    text = "\n".join(failing)
    if not failing or not ENV_READ.search(text):
        return None
    name = ENV_NAME.search(text)
    var = name[1] if name else "the variable it reads"
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        f"the failing assertion reads environment variable {var}",
        [f"the assertion that failed reads the environment: {failing[-1]}"],
        f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
    )


def environment_message(case: Case) -> Verdict | None:
    """The last resort: an error (not an assertion) whose message reads like the machine."""
    facts = case.facts
    if facts.exc_type in ASSERTION_TYPES or not ENV_MESSAGES.search(facts.messages):
        return None
    return case.verdict(
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        "the error message reads like the environment",
        [f"{short(facts.exc_type)}: {first_line(facts.messages)}", case.where],
        "check the service, network, permission or disk the message names",
    )


ENVIRONMENT_RULES: tuple[Rule, ...] = (
    network_unreachable,
    timed_out,
    permission_denied,
    missing_env_var,
    module_not_installed,
    command_not_installed,
    foreign_command_failed,
    file_outside_project,
    env_read_in_assert,
    port_in_use,
    environment_message,
)
