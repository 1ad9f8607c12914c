"""Triage rules that recognise a failure by what was raised: flaky tests (from the runs and
reruns), the environment (network, timeouts, permissions, missing variables, modules, commands
and files) and test-side mistakes (missing fixtures, mock targets and imported names)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tasks.layout import Layout
from tasks.results import TestRecord
from tasks.triage.facts import (
    ASSERTION_TYPES,
    Category,
    Confidence,
    Facts,
    Probe,
    Verdict,
    closest,
    first_line,
    make_verdict,
    short,
)

ENV_TYPES = frozenset(
    {
        "builtins.ConnectionRefusedError",
        "builtins.ConnectionResetError",
        "builtins.ConnectionAbortedError",
        "builtins.ConnectionError",
        "builtins.TimeoutError",
        "builtins.PermissionError",
        "socket.gaierror",
        "socket.herror",
        "socket.timeout",
        "urllib.error.URLError",
        "http.client.RemoteDisconnected",
        "requests.exceptions.ConnectionError",
        "requests.exceptions.ConnectTimeout",
        "requests.exceptions.ReadTimeout",
        "requests.exceptions.Timeout",
        "httpx.ConnectError",
        "httpx.ConnectTimeout",
        "httpx.ReadTimeout",
        "aiohttp.client_exceptions.ClientConnectorError",
        "redis.exceptions.ConnectionError",
        "psycopg2.OperationalError",
        "sqlalchemy.exc.OperationalError",
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
FIXTURE_MISSING = re.compile(r"fixture '([^']+)' not found")
AVAILABLE_FIXTURES = re.compile(
    r"available fixtures: (.*?)(?:\n\s*use 'pytest --fixtures|$)", re.DOTALL
)
MOCK_MISSING = re.compile(r"<module '([\w.]+)'.*?> does not have the attribute '(\w+)'")
NO_SUCH_FILE = re.compile(r"\[Errno 2\] No such file or directory: '([^']+)'")
ENV_READ = re.compile(r"os\.environ\b|os\.getenv\(|getenv\(")
ENV_NAME = re.compile(r"""(?:environ(?:\.get)?[\[(]|getenv\()\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([\w.]+)'(?: \(([^)]+)\))?")


def flaky_rule(
    record: TestRecord,
    facts: Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    if not flaky:
        return None
    kind = str(flaky.get("kind") or "mixed outcomes")
    outcomes = [o for o in flaky.get("outcomes", []) if o]
    passed = sum(o == "passed" for o in outcomes)
    evidence = [f"it passed {passed} of {len(outcomes)} full runs ({', '.join(outcomes)})"]
    if flaky.get("note"):
        evidence.append(str(flaky["note"]))
    culprit, role = flaky.get("culprit"), flaky.get("culprit_role")
    if culprit and role == "polluter":
        fix = (
            f"{culprit} leaves state behind (globals, caches, files, environment) that breaks "
            "this test: restore it in that test's teardown, or have this test set up its own"
        )
    elif culprit:
        fix = (
            f"this test only passes after {culprit} has run: give it the setup it relies on "
            "(a fixture) instead of depending on another test"
        )
    elif kind == "order-dependent":
        fix = "it depends on the tests before it: find the state they share and isolate it"
    else:
        fix = (
            "its outcome varies from run to run: look for time, randomness, counters or files "
            "shared between runs, threads or external calls, and make them deterministic"
        )
    quarantined = flaky.get("quarantined")
    if quarantined:
        evidence.append(
            f"quarantined until {quarantined['expires']} by {quarantined['owner']}: "
            f"{quarantined['reason']}"
        )
    return make_verdict(
        record, facts, Category.FLAKY, Confidence.HIGH, f"flaky ({kind})", [*evidence, where], fix
    )


def environment_rule(
    record: TestRecord,
    facts: Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    env_type = next((t for t in facts.types if t in ENV_TYPES), None)
    if env_type is not None:
        fix = (
            "start or reach the service the test needs, or mock the call in the test"
            if "ermission" not in env_type
            else "fix the permissions of the file it touches"
        )
        return make_verdict(
            record,
            facts,
            Category.ENVIRONMENT,
            Confidence.HIGH,
            f"{short(env_type)}: the environment, not the code",
            [
                f"{short(env_type)} is raised when a service, network or permission "
                f"is missing: {first_line(facts.messages)}",
                where,
            ],
            fix,
        )
    frames = facts.frames
    if (
        facts.exc_type == "builtins.KeyError"
        and frames
        and Path(str(frames[-1]["path"])).name in ("os.py", "<frozen os>")
    ):
        var = facts.message.strip("'\"")
        return make_verdict(
            record,
            facts,
            Category.ENVIRONMENT,
            Confidence.HIGH,
            f"environment variable {var} is not set",
            [f"KeyError {facts.message} was raised by os.environ", where],
            f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
        )
    if facts.exc_type == "builtins.ModuleNotFoundError":
        exc = record.exception or {}
        missing = str(exc.get("name") or "").split(".")[0]
        if missing and missing not in layout.top_modules:
            return make_verdict(
                record,
                facts,
                Category.ENVIRONMENT,
                Confidence.HIGH,
                f"third-party module {missing} is not installed",
                [
                    f"No module named {missing!r}: it is not part of the project "
                    f"(its own modules are {', '.join(sorted(layout.top_modules))})"
                ],
                f"install {missing} in the test environment (add it to the test "
                f"dependencies or to `install` in [tool.phasegate])",
            )
    missing_file = _missing_outside(record, facts, layout)
    if missing_file is not None:
        return missing_file
    env_assert = _environment_assert(record, facts)
    if env_assert is not None:
        return env_assert
    if ENV_MESSAGES.search(facts.messages) and facts.exc_type not in ASSERTION_TYPES:
        return make_verdict(
            record,
            facts,
            Category.ENVIRONMENT,
            Confidence.MEDIUM,
            "the error message reads like the environment",
            [f"{short(facts.exc_type)}: {first_line(facts.messages)}", where],
            "check the service, network, permission or disk the message names",
        )
    return None


def _missing_outside(record: TestRecord, facts: Facts, layout: Layout) -> Verdict | None:
    """A missing command, or a missing file outside the project: the machine lacks it."""
    if facts.exc_type != "builtins.FileNotFoundError":
        return None
    match = NO_SUCH_FILE.search(facts.message)
    if match is None:
        return None
    name = match[1]
    if "/" not in name and "\\" not in name:
        if not any("subprocess" in str(f["path"]) for f in facts.frames):
            return None
        return make_verdict(
            record,
            facts,
            Category.ENVIRONMENT,
            Confidence.HIGH,
            f"the command {name} is not installed",
            [f"starting {name!r} failed: no such file on PATH"],
            f"install {name} in the test environment, or skip the test where it is missing",
        )
    path = Path(name) if Path(name).is_absolute() else layout.project / name
    if layout.in_project(str(path.resolve())):
        return None  # a file the project should have: the rules by location decide
    return make_verdict(
        record,
        facts,
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        f"{name} does not exist on this machine",
        [f"FileNotFoundError for {name}, which is outside the project"],
        f"create {name} in the test environment, or point the test at a file of its own",
    )


def _environment_assert(record: TestRecord, facts: Facts) -> Verdict | None:
    """An assertion that failed on a value read from the environment."""
    if facts.exc_type not in ASSERTION_TYPES:
        return None
    failing = [line[1:].strip() for line in record.longrepr.splitlines() if line.startswith(">")]
    text = "\n".join(failing)
    if not failing or not ENV_READ.search(text):
        return None
    name = ENV_NAME.search(text)
    var = name[1] if name else "the variable it reads"
    return make_verdict(
        record,
        facts,
        Category.ENVIRONMENT,
        Confidence.MEDIUM,
        f"the failing assertion reads environment variable {var}",
        [f"the assertion that failed reads the environment: {failing[-1]}"],
        f"set {var} in the test environment (CI settings or monkeypatch.setenv)",
    )


def test_signature_rule(
    record: TestRecord,
    facts: Facts,
    layout: Layout,
    probe: Probe,
    flaky: Mapping[str, Any] | None,
    where: str,
) -> Verdict | None:
    text = record.longrepr + "\n" + facts.message
    missing = FIXTURE_MISSING.search(text)
    if missing:
        listed = AVAILABLE_FIXTURES.search(text)
        available = [n.strip() for n in listed[1].split(",")] if listed else []
        close = closest(missing[1], available)
        fix = (
            f"use an existing fixture: {', '.join(close)}"
            if close
            else f"define a fixture named {missing[1]} (in the test module or a conftest.py)"
        )
        return make_verdict(
            record,
            facts,
            Category.TEST,
            Confidence.HIGH,
            f"fixture {missing[1]!r} does not exist",
            [f"pytest found no fixture named {missing[1]!r} for this test"],
            fix,
        )
    mock = MOCK_MISSING.search(facts.message)
    if mock and facts.exc_type == "builtins.AttributeError":
        module_file = layout.module_file(mock[1])
        names = probe.names_in(module_file) if module_file else []
        close = closest(mock[2], names)
        fix = (
            f"patch an existing name: {', '.join(f'{mock[1]}.{n}' for n in close)}"
            if close
            else f"patch a name that {mock[1]} defines"
        )
        target = f"{mock[1]}.{mock[2]}"
        return make_verdict(
            record,
            facts,
            Category.TEST,
            Confidence.HIGH,
            f"mock target {target} does not exist",
            [f"the test patches {mock[1]}.{mock[2]}, which {mock[1]} does not define"],
            fix,
        )
    imported = CANNOT_IMPORT.search(facts.message)
    if imported and facts.exc_type == "builtins.ImportError":
        return _import_name(record, facts, layout, probe, imported)
    if facts.exc_type in ("builtins.SyntaxError", "builtins.IndentationError"):
        path = str(facts.frames[-1]["path"]) if facts.frames else ""
        side = Category.TEST if layout.is_test_code(path) else Category.PRODUCTION
        return make_verdict(
            record,
            facts,
            side,
            Confidence.HIGH,
            f"{side} code does not parse",
            [f"{short(facts.exc_type)} in {layout.rel(path)}"],
            f"fix the syntax at {facts.site}",
        )
    return None


def _import_name(
    record: TestRecord, facts: Facts, layout: Layout, probe: Probe, imported: re.Match[str]
) -> Verdict:
    name, module = imported[1], imported[2]
    module_file = layout.module_file(module)
    had = probe.ever_had(module_file, name) if module_file else None
    names = probe.names_in(module_file) if module_file else []
    close = closest(name, names)
    suggestion = f"; did you mean {', '.join(close)}?" if close else ""
    if had:
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.MEDIUM,
            f"{module}.{name} was removed",
            [f"{module} no longer defines {name}, but its git history shows it did"],
            f"restore {name} in {module} or update its callers{suggestion}",
        )
    importer = facts.project_frame
    if importer is not None and not layout.is_test_code(str(importer["path"])):
        where = f"{layout.rel(str(importer['path']))}:{importer['lineno']}"
        return make_verdict(
            record,
            facts,
            Category.PRODUCTION,
            Confidence.HIGH,
            f"production code imports {module}.{name}, which does not exist",
            [
                f"the import at {where}, in production code, names {name}, which {module} "
                "does not define"
            ],
            f"fix the import at {where}{suggestion}",
        )
    evidence = [f"the test imports {name} from {module}, which does not define it"]
    if had is False:
        evidence.append(f"git history of {layout.rel(str(module_file))} never had {name!r}")
    return make_verdict(
        record,
        facts,
        Category.TEST,
        Confidence.HIGH if had is False else Confidence.MEDIUM,
        f"imports {module}.{name}, a name the project never had",
        evidence,
        f"import a name {module} defines{suggestion}",
    )
