"""Every triage rule and recogniser on its own, in classify's order: a table of cases each,
through a fake Probe with canned answers. No git, no subprocess, no pytest run."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tasks.layout import Layout
from tasks.results import TestRecord as Record  # "Test*" would be collected
from tasks.triage import commands, environment, location, signatures
from tasks.triage.case import Case, Rule
from tasks.triage.facts import Category, Confidence, Verdict
from tasks.triage.rules import RULES, classify

TEST, PRODUCTION = Category.TEST, Category.PRODUCTION
FLAKY, ENVIRONMENT = Category.FLAKY, Category.ENVIRONMENT
HIGH, MEDIUM, LOW = Confidence.HIGH, Confidence.MEDIUM, Confidence.LOW

PROJECT = Path("/proj")
NODEID = "tests/test_shop.py::test_it"


@dataclasses.dataclass(frozen=True)
class FakeLayout(Layout):
    """A layout whose modules are listed here instead of looked up on disk."""

    modules: tuple[str, ...] = ("shop", "shop.pricing", "shop.rates")

    def module_file(self, dotted: str) -> Path | None:
        if dotted not in self.modules:
            return None
        return PROJECT.joinpath(*dotted.split(".")).with_suffix(".py")


LAYOUT = FakeLayout(
    project=PROJECT,
    test_roots=(PROJECT / "tests",),
    import_roots=(PROJECT,),
    top_modules=frozenset({"shop", "tests"}),
)


@dataclasses.dataclass
class FakeProbe:
    """The Probe protocol with canned answers; `asked` records the questions put to it."""

    test_change: bool | None = None
    production_change: tuple[bool, list[str]] | None = None
    runs: list[str] | None = None
    newest: tuple[Category, str, str] | None = None
    source: str = ""
    had: bool | None = None
    names: tuple[str, ...] = ()
    asked: list[str] = dataclasses.field(default_factory=list)

    def ever_had(self, module: Path, name: str) -> bool | None:
        self.asked.append("ever_had")
        return self.had

    def names_in(self, module: Path) -> list[str]:
        self.asked.append("names_in")
        return list(self.names)

    def test_changed(self, test_file: Path) -> bool | None:
        self.asked.append("test_changed")
        return self.test_change

    def production_changed(self, nodeid: str) -> tuple[bool, list[str]] | None:
        self.asked.append("production_changed")
        return self.production_change

    def runs_production(self, nodeid: str) -> list[str] | None:
        self.asked.append("runs_production")
        return self.runs

    def newest_change(self, record: Record) -> tuple[Category, str, str] | None:
        self.asked.append("newest_change")
        return self.newest

    def source_line(self, path: str, lineno: int) -> str:
        self.asked.append("source_line")
        return self.source


def frame(path: str, lineno: int, function: str = "") -> dict[str, Any]:
    return {"path": path, "lineno": lineno, "function": function}


IN_TEST = frame("/proj/tests/test_shop.py", 5, "test_it")
IN_PRODUCTION = frame("/proj/shop/pricing.py", 6, "average")
IN_SUBPROCESS = frame("/usr/lib/python3.11/subprocess.py", 1950, "_execute_child")
IN_OS = frame("<frozen os>", 679, "__getitem__")
IN_LIBRARY = frame("/usr/lib/python3.11/json/decoder.py", 355, "raw_decode")


def record(
    exc_type: str = "builtins.AssertionError",
    message: str = "",
    frames: Sequence[Mapping[str, Any]] = (IN_TEST,),
    *,
    longrepr: str = "",
    cause: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Record:
    """A failed test whose exception is `exc_type: message`, raised through `frames`."""
    exception: dict[str, Any] = {"type": exc_type, "message": message, "frames": list(frames)}
    if cause is not None:
        exception["cause"] = cause
    exception.update(extra)
    return Record(
        nodeid=NODEID,
        outcome="failed",
        when="call",
        duration=0.01,
        message=message,
        crash_path=str(frames[-1]["path"]) if frames else None,
        crash_lineno=int(frames[-1]["lineno"]) if frames else None,
        longrepr=longrepr,
        exception=exception,
    )


# Canned answers for FakeProbe, by field.
Answers = dict[str, Any]

# What changed since the base, as GitProbe answers it (test_changed, production_changed).
TEST_ONLY: Answers = {"test_change": True, "production_change": (False, ["shop/pricing.py"])}
PRODUCTION_ONLY: Answers = {
    "test_change": False,
    "production_change": (True, ["shop/pricing.py:6"]),
}
BOTH: Answers = {"test_change": True, "production_change": (True, ["shop/pricing.py:6"])}
NEITHER: Answers = {"test_change": False, "production_change": (False, ["shop/pricing.py"])}
TEST_ONLY_SAID = (
    "the test changed since the base; the production files it runs (shop/pricing.py) did not"
)
PRODUCTION_ONLY_SAID = (
    "the production lines it runs (shop/pricing.py:6) changed since the base; the test did not"
)
BOTH_SAID = (
    "both the test and the production lines it runs (shop/pricing.py:6) changed since the base"
)
NEITHER_SAID = (
    "neither the test nor the production files it runs (shop/pricing.py) changed since the base"
)
# Which side changed last by git blame, as GitProbe answers it without a base.
NEWEST_TEST_SAID = (
    "the test's own lines last changed in commit 1111aaaa of 2026-01-02 (tests/test_shop.py:5), "
    "after the newest production line it executes changed in commit 2222bbbb of 2026-01-01 "
    "(shop/pricing.py:6)"
)
NEWEST_PRODUCTION_SAID = (
    "the newest production line it executes changed in uncommitted changes (shop/pricing.py:6), "
    "after the test's own lines last changed in commit 1111aaaa of 2026-01-02 "
    "(tests/test_shop.py:5)"
)
NEWEST_TEST: Answers = {"newest": (TEST, NEWEST_TEST_SAID, "tests/test_shop.py:5")}
NEWEST_PRODUCTION: Answers = {"newest": (PRODUCTION, NEWEST_PRODUCTION_SAID, "shop/pricing.py:6")}
RAISE: Answers = {"source": 'raise ValueError(f"rate must be between 0 and 1, got {rate}")'}
CRASH: Answers = {"source": "return total(prices) / len(prices)"}

# An expected verdict: (category, confidence, one sentence of its evidence); None: no verdict.
Expected = tuple[Category, Confidence, str] | None


def judge(
    rule: Rule,
    rec: Record,
    probe: Mapping[str, Any] | None = None,
    flaky: Mapping[str, Any] | None = None,
) -> Verdict | None:
    return rule(Case(rec, LAYOUT, FakeProbe(**(probe or {})), flaky))


def check(verdict: Verdict | None, expected: Expected) -> None:
    if expected is None:
        assert verdict is None
        return
    assert verdict is not None
    category, confidence, sentence = expected
    assert (verdict.category, verdict.confidence) == (category, confidence)
    assert sentence in verdict.evidence, verdict.evidence


def test_rule_order() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "flaky_rule",
        # the environment
        "network_unreachable",
        "timed_out",
        "permission_denied",
        "missing_env_var",
        "module_not_installed",
        "command_not_installed",
        "foreign_command_failed",
        "file_outside_project",
        "env_read_in_assert",
        "port_in_use",
        "environment_message",
        # the test's own mistakes, by their signature
        "fixture_missing",
        "mock_target_missing",
        "missing_import_name",
        "syntax_error",
        # by location and change
        "changed_test_calls_unchanged_code",
        "crash_in_production",
        "rejected_after_change",
        "rejected_input",
        "error_after_production_change",
        "none_from_production",
        "error_in_test",
        "assert_in_production",
        "change_decides",
        "runs_no_production",
        "changed_last",
    ]


# === flaky ==================================================================================

FLAKY_RUNS = "it passed 2 of 3 full runs (passed, failed, passed)"


@pytest.mark.parametrize(
    ("flaky", "expected", "fix"),
    [
        # an order-dependent failure and the test that pollutes it
        (
            {
                "kind": "order-dependent",
                "outcomes": ["passed", "failed", "passed"],
                "culprit": "tests/test_a.py::test_sets_mode",
                "culprit_role": "polluter",
            },
            (FLAKY, HIGH, FLAKY_RUNS),
            "tests/test_a.py::test_sets_mode leaves state behind",
        ),
        # a test that only passes after another set something up
        (
            {
                "kind": "order-dependent",
                "outcomes": ["passed", "failed", "passed"],
                "culprit": "tests/test_a.py::test_registers",
                "culprit_role": "state-setter",
            },
            (FLAKY, HIGH, FLAKY_RUNS),
            "this test only passes after tests/test_a.py::test_registers has run",
        ),
        (
            {"kind": "order-dependent", "outcomes": ["passed", "failed", "passed"]},
            (FLAKY, HIGH, FLAKY_RUNS),
            "it depends on the tests before it",
        ),
        # outcomes that vary with no order to blame; a run that did not record it is skipped
        (
            {"outcomes": ["passed", "failed", None, "passed"], "note": "it failed 1 of 5 alone"},
            (FLAKY, HIGH, "it failed 1 of 5 alone"),
            "its outcome varies from run to run",
        ),
        (
            {
                "kind": "random",
                "outcomes": ["passed", "failed", "passed"],
                "quarantined": {"expires": "2026-03-01", "owner": "ana", "reason": "ticket 12"},
            },
            (FLAKY, HIGH, "quarantined until 2026-03-01 by ana: ticket 12"),
            "its outcome varies",
        ),
        # not flaky: the stability step has no row for it
        (None, None, ""),
        ({}, None, ""),
    ],
)
def test_flaky_rule(flaky: Mapping[str, Any] | None, expected: Expected, fix: str) -> None:
    verdict = judge(signatures.flaky_rule, record(), flaky=flaky)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith(fix)
        assert (
            verdict.evidence[-1]
            == "AssertionError was raised at tests/test_shop.py:5 in test_it(), which is test code"
        )


# === the environment =======================================================================

REFUSED = "[Errno 111] Connection refused"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        # raised by the test, or from deep inside a client library
        (
            record("builtins.ConnectionRefusedError", REFUSED),
            (
                ENVIRONMENT,
                HIGH,
                f"ConnectionRefusedError is raised when a service or the network cannot be "
                f"reached: {REFUSED}",
            ),
        ),
        (
            record("socket.gaierror", "[Errno -2] Name or service not known", [IN_LIBRARY]),
            (
                ENVIRONMENT,
                HIGH,
                "socket.gaierror is raised when a service or the network cannot be reached: "
                "[Errno -2] Name or service not known",
            ),
        ),
        (
            record("psycopg2.OperationalError", 'could not connect to server: "db"'),
            (
                ENVIRONMENT,
                HIGH,
                "psycopg2.OperationalError is raised when a service or the "
                'network cannot be reached: could not connect to server: "db"',
            ),
        ),
        # the project wraps it: the cause tells
        (
            record(
                "shop.errors.FetchError",
                "could not fetch prices",
                [IN_PRODUCTION],
                cause={"type": "requests.exceptions.ConnectionError", "message": "Max retries"},
            ),
            (
                ENVIRONMENT,
                HIGH,
                "requests.exceptions.ConnectionError is raised when a service or the network "
                "cannot be reached: could not fetch prices",
            ),
        ),
        # not the network
        (record("builtins.TimeoutError", "timed out"), None),
        (record("builtins.ValueError", REFUSED), None),
        (record("builtins.AssertionError", REFUSED), None),
    ],
)
def test_network_unreachable(rec: Record, expected: Expected) -> None:
    check(judge(environment.network_unreachable, rec), expected)


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record("builtins.TimeoutError", "timed out"),
            (
                ENVIRONMENT,
                HIGH,
                "TimeoutError is raised when a service, a process or the network does not "
                "answer in time: timed out",
            ),
        ),
        (
            record(
                "subprocess.TimeoutExpired",
                "Command '['slowtool']' timed out after 5 seconds",
                [IN_TEST, IN_SUBPROCESS],
            ),
            (
                ENVIRONMENT,
                HIGH,
                "subprocess.TimeoutExpired is raised when a service, a process or the network "
                "does not answer in time: Command '['slowtool']' timed out after 5 seconds",
            ),
        ),
        (
            record("requests.exceptions.ReadTimeout", "Read timed out. (read timeout=3)"),
            (
                ENVIRONMENT,
                HIGH,
                "requests.exceptions.ReadTimeout is raised when a service, a "
                "process or the network does not answer in time: Read timed out. (read timeout=3)",
            ),
        ),
        # not a timeout
        (record("builtins.ConnectionRefusedError", REFUSED), None),
        (record("builtins.RuntimeError", "deadline passed"), None),
    ],
)
def test_timed_out(rec: Record, expected: Expected) -> None:
    check(judge(environment.timed_out, rec), expected)


DENIED = "[Errno 13] Permission denied: '/var/lib/shop/cache'"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record("builtins.PermissionError", DENIED, [IN_TEST, IN_PRODUCTION]),
            (
                ENVIRONMENT,
                HIGH,
                "PermissionError is raised when the user running the tests may not read, write "
                f"or run a file: {DENIED}",
            ),
        ),
        (
            record(
                "shop.errors.CacheError",
                "cache unavailable",
                [IN_PRODUCTION],
                cause={"type": "builtins.PermissionError", "message": DENIED},
            ),
            (
                ENVIRONMENT,
                HIGH,
                "PermissionError is raised when the user running the tests may not read, write "
                "or run a file: cache unavailable",
            ),
        ),
        # not a permission
        (record("builtins.FileNotFoundError", "[Errno 2] No such file or directory: 'x'"), None),
        (record("builtins.OSError", DENIED), None),  # the message alone: environment_message
    ],
)
def test_permission_denied(rec: Record, expected: Expected) -> None:
    check(judge(environment.permission_denied, rec), expected)


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        # os.environ["SHOP_TOKEN"], from the test or from production code
        (
            record("builtins.KeyError", "'SHOP_TOKEN'", [IN_TEST, IN_OS]),
            (ENVIRONMENT, HIGH, "KeyError 'SHOP_TOKEN' was raised by os.environ"),
        ),
        (
            record(
                "builtins.KeyError",
                "'SHOP_TOKEN'",
                [IN_TEST, IN_PRODUCTION, frame("/usr/lib/python3.11/os.py", 679)],
            ),
            (ENVIRONMENT, HIGH, "KeyError 'SHOP_TOKEN' was raised by os.environ"),
        ),
        # a KeyError of the project's own dict
        (record("builtins.KeyError", "'gold'", [IN_TEST, IN_PRODUCTION]), None),
        (record("builtins.KeyError", "'SHOP_TOKEN'", []), None),
        # os.py raised something else
        (record("builtins.TypeError", "str expected, not int", [IN_TEST, IN_OS]), None),
    ],
)
def test_missing_env_var(rec: Record, expected: Expected) -> None:
    verdict = judge(environment.missing_env_var, rec)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith("set SHOP_TOKEN in the test environment")


NO_MODULE = "builtins.ModuleNotFoundError"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record(NO_MODULE, "No module named 'requests'", name="requests"),
            (
                ENVIRONMENT,
                HIGH,
                "No module named 'requests': it is not part of the project "
                "(its own modules are shop, tests)",
            ),
        ),
        # a submodule of an uninstalled package names the package
        (
            record(NO_MODULE, "No module named 'yaml.constructor'", name="yaml.constructor"),
            (
                ENVIRONMENT,
                HIGH,
                "No module named 'yaml': it is not part of the project "
                "(its own modules are shop, tests)",
            ),
        ),
        # one of the project's own modules is missing: a bug of the project, not the machine
        (record(NO_MODULE, "No module named 'shop.gone'", name="shop.gone"), None),
        (record(NO_MODULE, "No module named 'requests'"), None),  # no name recorded
        (record("builtins.ImportError", "No module named 'requests'", name="requests"), None),
    ],
)
def test_module_not_installed(rec: Record, expected: Expected) -> None:
    check(judge(environment.module_not_installed, rec), expected)


def no_such_file(name: str, frames: Sequence[Mapping[str, Any]] = (IN_TEST,)) -> Record:
    return record(
        "builtins.FileNotFoundError", f"[Errno 2] No such file or directory: '{name}'", frames
    )


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            no_such_file("psql", [IN_TEST, IN_SUBPROCESS]),
            (ENVIRONMENT, HIGH, "starting 'psql' failed: no such file on PATH"),
        ),
        (
            no_such_file("shop-tool", [IN_TEST, IN_PRODUCTION, IN_SUBPROCESS]),
            (ENVIRONMENT, HIGH, "starting 'shop-tool' failed: no such file on PATH"),
        ),
        # open("settings.ini"): a file, not a command
        (no_such_file("settings.ini"), None),
        # a command by its path: file_outside_project decides
        (no_such_file("/opt/tool/bin/tool", [IN_TEST, IN_SUBPROCESS]), None),
        (record("builtins.OSError", "[Errno 8] Exec format error", [IN_SUBPROCESS]), None),
    ],
)
def test_command_not_installed(rec: Record, expected: Expected) -> None:
    check(judge(commands.command_not_installed, rec), expected)


def command_failed(cmd: str, status: str = "returned non-zero exit status 2") -> Record:
    """subprocess.run(cmd, check=True) from the test, as str(CalledProcessError) words it."""
    return record(
        "subprocess.CalledProcessError", f"Command '{cmd}' {status}.", [IN_TEST, IN_SUBPROCESS]
    )


PSQL = "['psql', '-h', 'db', '-c', 'select 1']"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        # a database client, a system tool: given as a list, a string or a path
        (
            command_failed(PSQL),
            (
                ENVIRONMENT,
                MEDIUM,
                "psql is not one of the project's commands, and it ended with exit status 2: "
                "psql -h db -c select 1",
            ),
        ),
        (
            command_failed("pg_isready -h db -t 'a b'"),
            (
                ENVIRONMENT,
                MEDIUM,
                "pg_isready is not one of the project's commands, and it "
                "ended with exit status 2: pg_isready -h db -t a b",
            ),
        ),
        (
            command_failed(
                "[PosixPath('/usr/bin/redis-cli'), 'ping']", "returned non-zero exit status 1"
            ),
            (
                ENVIRONMENT,
                MEDIUM,
                "redis-cli is not one of the project's commands, and it "
                "ended with exit status 1: /usr/bin/redis-cli ping",
            ),
        ),
        (
            command_failed("['mysql', '-e', 'select 1']", "died with <Signals.SIGKILL: 9>"),
            (
                ENVIRONMENT,
                MEDIUM,
                "mysql is not one of the project's commands, and it ended "
                "with signal SIGKILL: mysql -e select 1",
            ),
        ),
        # run by production code, which wraps the error: the cause tells
        (
            record(
                "shop.errors.BackupError",
                "backup failed",
                [IN_TEST, IN_PRODUCTION],
                cause={
                    "type": "subprocess.CalledProcessError",
                    "message": "Command '['pg_dump', 'shop']' returned non-zero exit status 1.",
                },
            ),
            (
                ENVIRONMENT,
                MEDIUM,
                "pg_dump is not one of the project's commands, and it ended with exit status 1: "
                "pg_dump shop",
            ),
        ),
        # the project's own commands: a script in it, its console script, code run by Python
        (command_failed("['./scripts/migrate.sh']"), None),
        (command_failed("['./migrate.sh', '--check']"), None),
        (command_failed("['/proj/bin/check', '--all']"), None),
        (command_failed("['shop', 'export']"), None),
        (command_failed("['/usr/bin/python3.11', '-m', 'shop.cli']"), None),
        (command_failed("['bash', '-c', 'exit 3']"), None),
        (command_failed("sh -c 'exit 1'"), None),
        # a command's message that is not CalledProcessError's, or another exception
        (command_failed("['psql']", "failed"), None),
        (
            record("builtins.RuntimeError", f"Command '{PSQL}' returned non-zero exit status 2."),
            None,
        ),
    ],
)
def test_foreign_command_failed(rec: Record, expected: Expected) -> None:
    verdict = judge(commands.foreign_command_failed, rec)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith("check that what ")


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            no_such_file("/etc/shop/settings.ini"),
            (
                ENVIRONMENT,
                MEDIUM,
                "FileNotFoundError for /etc/shop/settings.ini, which is outside the project",
            ),
        ),
        # relative to the project, but leaving it
        (
            no_such_file("../shared/prices.csv"),
            (
                ENVIRONMENT,
                MEDIUM,
                "FileNotFoundError for ../shared/prices.csv, which is outside the project",
            ),
        ),
        # a file the project itself should have: the rules by location decide
        (no_such_file("/proj/data/prices.csv"), None),
        (no_such_file("data/prices.csv"), None),
        (
            no_such_file("/proj/.venv/lib/x.txt"),
            (
                ENVIRONMENT,
                MEDIUM,
                "FileNotFoundError for /proj/.venv/lib/x.txt, which is outside the project",
            ),
        ),
        (no_such_file("prices.csv"), None),  # a bare name
    ],
)
def test_file_outside_project(rec: Record, expected: Expected) -> None:
    check(judge(commands.file_outside_project, rec), expected)


@pytest.mark.parametrize(
    ("rec", "expected", "var"),
    [
        (
            record(longrepr='>       assert os.environ.get("SHOP_TOKEN"), "set it"\nE   ...'),
            (
                ENVIRONMENT,
                MEDIUM,
                "the assertion that failed reads the environment: "
                'assert os.environ.get("SHOP_TOKEN"), "set it"',
            ),
            "SHOP_TOKEN",
        ),
        (
            record("_pytest.outcomes.Failed", longrepr="> if not getenv('REGION'): pytest.fail()"),
            (
                ENVIRONMENT,
                MEDIUM,
                "the assertion that failed reads the environment: "
                "if not getenv('REGION'): pytest.fail()",
            ),
            "REGION",
        ),
        (
            record(longrepr="> assert key in os.environ"),
            (
                ENVIRONMENT,
                MEDIUM,
                "the assertion that failed reads the environment: assert key in os.environ",
            ),
            "the variable it reads",
        ),
        # the assertion reads no environment; the environment read is not the failing line
        (record(longrepr="> assert total([1]) == 2"), None, ""),
        (record(longrepr="    token = os.environ['X']\n> assert token == 'y'"), None, ""),
        # not an assertion
        (record("builtins.TypeError", longrepr="> assert os.environ.get('X') + 1"), None, ""),
    ],
)
def test_env_read_in_assert(rec: Record, expected: Expected, var: str) -> None:
    verdict = judge(environment.env_read_in_assert, rec)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.reason == f"the failing assertion reads environment variable {var}"


IN_USE = "[Errno 98] Address already in use"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record("builtins.OSError", IN_USE, [IN_TEST, IN_PRODUCTION]),
            (
                ENVIRONMENT,
                MEDIUM,
                f"OSError: {IN_USE}: another process, or a test before it that did not close "
                "its socket, holds the port",
            ),
        ),
        (
            record("builtins.OSError", "[Errno 48] Address already in use"),  # macOS
            (
                ENVIRONMENT,
                MEDIUM,
                "OSError: [Errno 48] Address already in use: another process, or a test before "
                "it that did not close its socket, holds the port",
            ),
        ),
        (record("builtins.AssertionError", IN_USE), None),
        (record("builtins.OSError", "[Errno 99] Cannot assign requested address"), None),
    ],
)
def test_port_in_use(rec: Record, expected: Expected) -> None:
    check(judge(environment.port_in_use, rec), expected)


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record("builtins.OSError", "[Errno 28] No space left on device"),
            (ENVIRONMENT, MEDIUM, "OSError: [Errno 28] No space left on device"),
        ),
        (
            record("shop.errors.DbError", "unable to open database file", [IN_PRODUCTION]),
            (ENVIRONMENT, MEDIUM, "shop.errors.DbError: unable to open database file"),
        ),
        (
            record(
                "shop.errors.DbError",
                "query failed",
                [IN_PRODUCTION],
                cause={"type": "x.Error", "message": "SSL: certificate verify failed"},
            ),
            (ENVIRONMENT, MEDIUM, "shop.errors.DbError: query failed"),
        ),
        # an assertion about a message is the test's business
        (record("builtins.AssertionError", "assert 'timed out' == 'ok'"), None),
        (record("builtins.ValueError", "rate must be between 0 and 1"), None),
    ],
)
def test_environment_message(rec: Record, expected: Expected) -> None:
    check(judge(environment.environment_message, rec), expected)


# === the test's own mistakes, by their signature ===========================================

FIXTURE_LONGREPR = """\
  def test_it(baskett):
E       fixture 'baskett' not found
>       available fixtures: basket, cache, capfd, monkeypatch, tmp_path
>       use 'pytest --fixtures [testpath]' for help on them.
"""


@pytest.mark.parametrize(
    ("rec", "expected", "fix"),
    [
        (
            record("builtins.Exception", longrepr=FIXTURE_LONGREPR),
            (TEST, HIGH, "pytest found no fixture named 'baskett' for this test"),
            "use an existing fixture: basket",
        ),
        # nothing close to it
        (
            record(
                "builtins.Exception",
                longrepr=FIXTURE_LONGREPR.replace("baskett", "database_url"),
            ),
            (TEST, HIGH, "pytest found no fixture named 'database_url' for this test"),
            "define a fixture named database_url (in the test module or a conftest.py)",
        ),
        # found in the message when the long report is cut
        (
            record("builtins.Exception", "fixture 'db' not found"),
            (TEST, HIGH, "pytest found no fixture named 'db' for this test"),
            "define a fixture named db",
        ),
        (record(longrepr="> assert fixture_count == 2"), None, ""),
    ],
)
def test_fixture_missing(rec: Record, expected: Expected, fix: str) -> None:
    verdict = judge(signatures.fixture_missing, rec)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith(fix)


NO_ATTRIBUTE = (
    "<module 'shop.pricing' from '/proj/shop/pricing.py'> does not have the attribute 'totl'"
)


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "fix"),
    [
        (
            record("builtins.AttributeError", NO_ATTRIBUTE, [IN_TEST, IN_LIBRARY]),
            {"names": ("total", "average", "with_vat")},
            (TEST, HIGH, "the test patches shop.pricing.totl, which shop.pricing does not define"),
            "patch an existing name: shop.pricing.total",
        ),
        (
            record("builtins.AttributeError", NO_ATTRIBUTE),
            {"names": ("average",)},
            (TEST, HIGH, "the test patches shop.pricing.totl, which shop.pricing does not define"),
            "patch a name that shop.pricing defines",
        ),
        # an AttributeError that is not mock's; mock's words in another exception
        (record("builtins.AttributeError", "'NoneType' object has no attribute 'x'"), {}, None, ""),
        (record("builtins.TypeError", NO_ATTRIBUTE), {}, None, ""),
    ],
)
def test_mock_target_missing(rec: Record, probe: Answers, expected: Expected, fix: str) -> None:
    verdict = judge(signatures.mock_target_missing, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix == fix


CANNOT_IMPORT = "cannot import name 'discount' from 'shop.pricing' (/proj/shop/pricing.py)"
IN_TEST_IMPORT = frame("/proj/tests/test_shop.py", 1, "<module>")
IN_PRODUCTION_IMPORT = frame("/proj/shop/report.py", 1, "<module>")


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        # production code removed a name its callers use
        (
            record("builtins.ImportError", CANNOT_IMPORT, [IN_TEST_IMPORT]),
            {"had": True},
            (
                PRODUCTION,
                MEDIUM,
                "shop.pricing no longer defines discount, but its git history shows it did",
            ),
        ),
        # production code imports a name that never existed
        (
            record(
                "builtins.ImportError",
                CANNOT_IMPORT.replace("discount", "totl"),
                [IN_TEST_IMPORT, IN_PRODUCTION_IMPORT],
            ),
            {"had": False, "names": ("total",)},
            (
                PRODUCTION,
                HIGH,
                "the import at shop/report.py:1, in production code, names totl, "
                "which shop.pricing does not define",
            ),
        ),
        # the test imports a name the module never had, by git, or without git
        (
            record("builtins.ImportError", CANNOT_IMPORT, [IN_TEST_IMPORT]),
            {"had": False},
            (TEST, HIGH, "git history of shop/pricing.py never had 'discount'"),
        ),
        (
            record("builtins.ImportError", CANNOT_IMPORT, [IN_TEST_IMPORT]),
            {"had": None},
            (TEST, MEDIUM, "the test imports discount from shop.pricing, which does not define it"),
        ),
        # a module the layout does not know: git is not asked
        (
            record("builtins.ImportError", "cannot import name 'x' from 'elsewhere' (/e.py)"),
            {"had": True},
            (TEST, MEDIUM, "the test imports x from elsewhere, which does not define it"),
        ),
        (record("builtins.ImportError", "DLL load failed"), {}, None),
        (record("builtins.ModuleNotFoundError", CANNOT_IMPORT), {}, None),
    ],
)
def test_missing_import_name(rec: Record, probe: Answers, expected: Expected) -> None:
    check(judge(signatures.missing_import_name, rec, probe), expected)


def test_missing_import_name_suggests_the_closest_name() -> None:
    rec = record("builtins.ImportError", CANNOT_IMPORT, [IN_TEST_IMPORT])
    verdict = judge(signatures.missing_import_name, rec, {"names": ("discounted", "total")})
    assert verdict is not None
    assert verdict.fix == "import a name shop.pricing defines; did you mean discounted?"


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        (
            record(
                "builtins.SyntaxError",
                "invalid syntax",
                [],
                filename="/proj/tests/test_shop.py",
                lineno=3,
            ),
            (TEST, HIGH, "SyntaxError in tests/test_shop.py"),
        ),
        (
            record(
                "builtins.IndentationError",
                "unexpected indent",
                [IN_TEST_IMPORT],
                filename="/proj/shop/pricing.py",
                lineno=4,
            ),
            (PRODUCTION, HIGH, "IndentationError in shop/pricing.py"),
        ),
        (record("builtins.ValueError", "invalid syntax"), None),
    ],
)
def test_syntax_error(rec: Record, expected: Expected) -> None:
    check(judge(signatures.syntax_error, rec), expected)


# === by location and change ================================================================

ZERO = record("builtins.ZeroDivisionError", "division by zero", [IN_TEST, IN_PRODUCTION])
RATE_FRAME = frame("/proj/shop/rates.py", 3, "apply_rate")
REJECTED = record(
    "builtins.ValueError", "rate must be between 0 and 1, got 20", [IN_TEST, RATE_FRAME]
)
ON_PURPOSE = (
    "the code raises it on purpose at shop/rates.py:3: "
    '`raise ValueError(f"rate must be between 0 and 1, got {rate}")`'
)
ZERO_WHERE = (
    "ZeroDivisionError was raised at shop/pricing.py:6 in average(), which is production code"
)
ON_NONE = record("builtins.AttributeError", "'NoneType' object has no attribute 'upper'", [IN_TEST])
WRONG_CALL = record(
    "builtins.TypeError", "total() takes 1 positional argument but 3 were given", [IN_TEST]
)
ASSERTED = record("builtins.AssertionError", "assert 6 == 7", [IN_TEST])
ASSERT_WHERE = "AssertionError was raised at tests/test_shop.py:5 in test_it(), which is test code"
TEST_WHERE = "TypeError was raised at tests/test_shop.py:5 in test_it(), which is test code"


CALLED_WRONGLY = (
    "ZeroDivisionError comes from production code that did not change since the base, called "
    "by a test that did: the test calls it in a way it does not support"
)


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "fix"),
    [
        # a new or changed test, production lines it runs unchanged: the test calls them wrongly
        (
            ZERO,
            {**CRASH, **TEST_ONLY},
            (TEST, MEDIUM, CALLED_WRONGLY),
            "give test_it input the code at shop/pricing.py:6 accepts, or expect "
            "ZeroDivisionError; if the code should handle this input, fix it there",
        ),
        (ZERO, {**CRASH, **TEST_ONLY}, (TEST, MEDIUM, TEST_ONLY_SAID), "give test_it"),
        (ZERO, {**CRASH, **TEST_ONLY}, (TEST, MEDIUM, ZERO_WHERE), "give test_it"),
        # ... and it refuses that call on purpose: high confidence
        (
            REJECTED,
            {**RAISE, **TEST_ONLY},
            (TEST, HIGH, ON_PURPOSE),
            "give test_it input the code at shop/rates.py:3 accepts, or expect ValueError",
        ),
        # the production code changed too, alone, or nothing says
        (ZERO, {**CRASH, **BOTH}, None, ""),
        (ZERO, {**CRASH, **PRODUCTION_ONLY}, None, ""),
        (ZERO, {**CRASH, **NEITHER}, None, ""),
        (ZERO, {**CRASH, **NEWEST_TEST}, None, ""),
        (ZERO, {**CRASH, "test_change": True}, None, ""),  # no per-test coverage
        # not raised in production code: an error or an assertion in the changed test
        (WRONG_CALL, TEST_ONLY, None, ""),
        (ASSERTED, TEST_ONLY, None, ""),
        (record("builtins.AssertionError", "", [IN_TEST, IN_PRODUCTION]), TEST_ONLY, None, ""),
    ],
)
def test_changed_test_calls_unchanged_code(
    rec: Record, probe: Answers, expected: Expected, fix: str
) -> None:
    verdict = judge(location.changed_test_calls_unchanged_code, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith(fix)
        assert verdict.reason.startswith("the changed test calls unchanged production code wrongly")
        assert verdict.cause == ""


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "cause"),
    [
        # a crash in production code, whatever the history says
        (ZERO, CRASH, (PRODUCTION, HIGH, ZERO_WHERE), ""),
        (
            ZERO,
            {**CRASH, **PRODUCTION_ONLY},
            (PRODUCTION, HIGH, PRODUCTION_ONLY_SAID),
            "shop/pricing.py:6",
        ),
        (ZERO, {**CRASH, **BOTH}, (PRODUCTION, HIGH, BOTH_SAID), ""),
        # a deliberate raise in code that changed under an unchanged test
        (
            REJECTED,
            {**RAISE, **PRODUCTION_ONLY},
            (PRODUCTION, HIGH, PRODUCTION_ONLY_SAID),
            "shop/pricing.py:6",
        ),
        # a deliberate raise otherwise: the caller's, decided below
        (REJECTED, RAISE, None, ""),
        (REJECTED, {**RAISE, **TEST_ONLY}, None, ""),
        (REJECTED, {**RAISE, **NEWEST_PRODUCTION}, None, ""),
        # the test changed and the code it runs did not: changed_test_calls_unchanged_code
        (ZERO, {**CRASH, **TEST_ONLY}, None, ""),
        # not raised in production code
        (WRONG_CALL, PRODUCTION_ONLY, None, ""),
        (record("builtins.AssertionError", "", [IN_TEST, IN_PRODUCTION]), CRASH, None, ""),
    ],
)
def test_crash_in_production(rec: Record, probe: Answers, expected: Expected, cause: str) -> None:
    verdict = judge(location.crash_in_production, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.cause == cause
        assert verdict.reason == f"{verdict.exception} raised inside production code"


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (REJECTED, {**RAISE, **NEWEST_PRODUCTION}, (PRODUCTION, MEDIUM, NEWEST_PRODUCTION_SAID)),
        (REJECTED, {**RAISE, **NEITHER, **NEWEST_PRODUCTION}, (PRODUCTION, MEDIUM, ON_PURPOSE)),
        # the test changed last, blame cannot tell, or the change evidence decides without it
        (REJECTED, {**RAISE, **NEWEST_TEST}, None),
        (REJECTED, RAISE, None),
        (REJECTED, {**RAISE, **TEST_ONLY, **NEWEST_PRODUCTION}, None),
        # not a deliberate raise
        (ZERO, {**CRASH, **NEWEST_PRODUCTION}, None),
    ],
)
def test_rejected_after_change(rec: Record, probe: Answers, expected: Expected) -> None:
    verdict = judge(location.rejected_after_change, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.cause == "shop/pricing.py:6"
        assert (
            verdict.fix
            == "check the recent change at shop/pricing.py:6: should it reject this input?"
        )


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        # the code refuses the input on purpose: the test passed the wrong thing
        (REJECTED, RAISE, (TEST, LOW, ON_PURPOSE)),
        (REJECTED, {**RAISE, **NEITHER}, (TEST, LOW, NEITHER_SAID)),
        (REJECTED, {**RAISE, **NEWEST_TEST}, (TEST, MEDIUM, NEWEST_TEST_SAID)),
        (
            record("builtins.ValueError", "", [IN_TEST, RATE_FRAME]),
            {"source": "raise"},
            (TEST, LOW, "the code raises it on purpose at shop/rates.py:3: `raise`"),
        ),
        # ... unless the code changed under it; the test alone changed: the rule before decides
        (REJECTED, {**RAISE, **PRODUCTION_ONLY}, None),
        (REJECTED, {**RAISE, **TEST_ONLY}, None),
        (REJECTED, {**RAISE, **NEWEST_PRODUCTION}, None),
        # not deliberate, or not in production code
        (REJECTED, {"source": "raise_for_status(rate)"}, None),
        (WRONG_CALL, RAISE, None),
    ],
)
def test_rejected_input(rec: Record, probe: Answers, expected: Expected) -> None:
    verdict = judge(location.rejected_input, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix == "give test_it input the code accepts, or expect ValueError"


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "cause"),
    [
        # the production code it runs changed, the test did not: what it returns now broke it
        (ON_NONE, PRODUCTION_ONLY, (PRODUCTION, MEDIUM, PRODUCTION_ONLY_SAID), "shop/pricing.py:6"),
        (WRONG_CALL, PRODUCTION_ONLY, (PRODUCTION, MEDIUM, TEST_WHERE), "shop/pricing.py:6"),
        (
            ON_NONE,
            NEWEST_PRODUCTION,
            (PRODUCTION, LOW, NEWEST_PRODUCTION_SAID),
            "shop/pricing.py:6",
        ),
        # the test changed (alone, or last), or nothing says
        (ON_NONE, TEST_ONLY, None, ""),
        (ON_NONE, {**BOTH, **NEWEST_TEST}, None, ""),
        (ON_NONE, {"runs": ["shop/pricing.py"]}, None, ""),
        # not an error in the test's code
        (ZERO, PRODUCTION_ONLY, None, ""),
        (ASSERTED, PRODUCTION_ONLY, None, ""),
    ],
)
def test_error_after_production_change(
    rec: Record, probe: Answers, expected: Expected, cause: str
) -> None:
    verdict = judge(location.error_after_production_change, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.cause == cause


NONE_SAID = (
    "the test got None where it expected a value, after calling production code; "
    "no git history says which side changed"
)
PLUS_NONE = record(
    "builtins.TypeError", "unsupported operand type(s) for +: 'NoneType' and 'int'", [IN_TEST]
)


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (PLUS_NONE, {"runs": ["shop/table.py"]}, (PRODUCTION, LOW, NONE_SAID)),
        (ON_NONE, {**NEITHER, "runs": ["shop/table.py"]}, (PRODUCTION, LOW, NEITHER_SAID)),
        # it runs no production code, or coverage does not say
        (PLUS_NONE, {"runs": []}, None),
        (PLUS_NONE, {"runs": None}, None),
        # the history decides
        (PLUS_NONE, {**TEST_ONLY, "runs": ["shop/table.py"]}, None),
        (PLUS_NONE, {**NEWEST_TEST, "runs": ["shop/table.py"]}, None),
        # no None in sight
        (WRONG_CALL, {"runs": ["shop/table.py"]}, None),
    ],
)
def test_none_from_production(rec: Record, probe: Answers, expected: Expected) -> None:
    check(judge(location.none_from_production, rec, probe), expected)


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (WRONG_CALL, TEST_ONLY, (TEST, MEDIUM, TEST_ONLY_SAID)),
        (WRONG_CALL, {}, (TEST, MEDIUM, TEST_WHERE)),
        (WRONG_CALL, NEWEST_TEST, (TEST, MEDIUM, NEWEST_TEST_SAID)),
        (WRONG_CALL, BOTH, (TEST, MEDIUM, BOTH_SAID)),
        # a None, but from no production code
        (
            PLUS_NONE,
            {"runs": []},
            (
                TEST,
                MEDIUM,
                "TypeError was raised at tests/test_shop.py:5 in test_it(), which is test code",
            ),
        ),
        # the production code under it changed, or handed it a None
        (WRONG_CALL, PRODUCTION_ONLY, None),
        (WRONG_CALL, NEWEST_PRODUCTION, None),
        (PLUS_NONE, {"runs": ["shop/table.py"]}, None),
        # not an error in the test's code
        (ZERO, CRASH, None),
        (ASSERTED, {}, None),
    ],
)
def test_error_in_test(rec: Record, probe: Answers, expected: Expected) -> None:
    verdict = judge(location.error_in_test, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.fix.startswith("fix the test at tests/test_shop.py:5: ")


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (
            record("builtins.AssertionError", "", [IN_TEST, IN_PRODUCTION]),
            {},
            (
                PRODUCTION,
                HIGH,
                "AssertionError was raised at shop/pricing.py:6 in average(), "
                "which is production code",
            ),
        ),
        (
            record("builtins.AssertionError", "", [IN_TEST, IN_PRODUCTION]),
            TEST_ONLY,
            (PRODUCTION, HIGH, TEST_ONLY_SAID),
        ),
        (ASSERTED, {}, None),
        (ZERO, {}, None),
    ],
)
def test_assert_in_production(rec: Record, probe: Answers, expected: Expected) -> None:
    check(judge(location.assert_in_production, rec, probe), expected)


FAILED = record("_pytest.outcomes.Failed", "expected a discount", [IN_TEST])
OUTSIDE = record("json.decoder.JSONDecodeError", "Expecting value", [IN_LIBRARY])


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "cause"),
    [
        # only the test changed: its expectation is the suspect
        (ASSERTED, TEST_ONLY, (TEST, MEDIUM, TEST_ONLY_SAID), ""),
        (FAILED, TEST_ONLY, (TEST, MEDIUM, TEST_ONLY_SAID), ""),
        # only the production lines it runs changed: a regression
        (
            ASSERTED,
            PRODUCTION_ONLY,
            (PRODUCTION, MEDIUM, PRODUCTION_ONLY_SAID),
            "shop/pricing.py:6",
        ),
        (OUTSIDE, PRODUCTION_ONLY, (PRODUCTION, MEDIUM, PRODUCTION_ONLY_SAID), "shop/pricing.py:6"),
        # both, neither, or no base
        (ASSERTED, BOTH, None, ""),
        (ASSERTED, NEITHER, None, ""),
        (ASSERTED, {}, None, ""),
        (ASSERTED, {"test_change": True}, None, ""),  # no per-test coverage
        # errors in the project's code are decided by where they were raised
        (WRONG_CALL, TEST_ONLY, None, ""),
        (ZERO, PRODUCTION_ONLY, None, ""),
    ],
)
def test_change_decides(rec: Record, probe: Answers, expected: Expected, cause: str) -> None:
    verdict = judge(location.change_decides, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.reason == verdict.evidence[1]
        assert verdict.cause == cause


NO_PRODUCTION_SAID = "per-test coverage shows it executes no line of production code"


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (ASSERTED, {"runs": []}, (TEST, MEDIUM, NO_PRODUCTION_SAID)),
        (ASSERTED, {**NEITHER, "runs": []}, (TEST, MEDIUM, NEITHER_SAID)),
        (OUTSIDE, {"runs": []}, (TEST, MEDIUM, NO_PRODUCTION_SAID)),
        # it runs production code, or there is no per-test coverage to say
        (ASSERTED, {"runs": ["shop/pricing.py"]}, None),
        (ASSERTED, {"runs": None}, None),
        # the change evidence decides first
        (ASSERTED, {**PRODUCTION_ONLY, "runs": []}, None),
        (WRONG_CALL, {"runs": []}, None),
    ],
)
def test_runs_no_production(rec: Record, probe: Answers, expected: Expected) -> None:
    check(judge(location.runs_no_production, rec, probe), expected)


@pytest.mark.parametrize(
    ("rec", "probe", "expected", "cause"),
    [
        # without a base, blame alone: low confidence
        (ASSERTED, NEWEST_TEST, (TEST, LOW, NEWEST_TEST_SAID), ""),
        (
            ASSERTED,
            NEWEST_PRODUCTION,
            (PRODUCTION, LOW, NEWEST_PRODUCTION_SAID),
            "shop/pricing.py:6",
        ),
        # with a base where both changed, blame breaks the tie
        (
            ASSERTED,
            {**BOTH, **NEWEST_PRODUCTION},
            (PRODUCTION, MEDIUM, BOTH_SAID),
            "shop/pricing.py:6",
        ),
        # blame cannot tell; the test runs no production code; the change evidence decided
        (ASSERTED, {}, None, ""),
        (ASSERTED, {**NEWEST_TEST, "runs": []}, None, ""),
        (ASSERTED, {**TEST_ONLY, **NEWEST_PRODUCTION}, None, ""),
        (ZERO, NEWEST_PRODUCTION, None, ""),
    ],
)
def test_changed_last(rec: Record, probe: Answers, expected: Expected, cause: str) -> None:
    verdict = judge(location.changed_last, rec, probe)
    check(verdict, expected)
    if verdict is not None:
        assert verdict.cause == cause


UNDECIDED_SAID = "the evidence does not decide between the test's expectation and the code"


@pytest.mark.parametrize(
    ("rec", "probe", "expected"),
    [
        (ASSERTED, {}, (PRODUCTION, LOW, UNDECIDED_SAID)),
        (ASSERTED, NEITHER, (PRODUCTION, LOW, NEITHER_SAID)),
        (OUTSIDE, BOTH, (PRODUCTION, LOW, BOTH_SAID)),
    ],
)
def test_undecided(rec: Record, probe: Answers, expected: Expected) -> None:
    check(location.undecided(Case(rec, LAYOUT, FakeProbe(**probe))), expected)


# === classify: the order decides where two rules apply ====================================

REFUSED_IN_PRODUCTION = record("builtins.ConnectionRefusedError", REFUSED, [IN_TEST, IN_PRODUCTION])
ORDER_FLAKY = {"kind": "random", "outcomes": ["failed", "passed"]}


@pytest.mark.parametrize(
    ("rec", "probe", "flaky", "winner"),
    [
        # flaky beats everything the one failure shows
        (REFUSED_IN_PRODUCTION, {}, ORDER_FLAKY, (FLAKY, HIGH, "flaky (random)")),
        # the environment beats where it was raised and what changed
        (
            REFUSED_IN_PRODUCTION,
            {**CRASH, **PRODUCTION_ONLY},
            None,
            (ENVIRONMENT, HIGH, "ConnectionRefusedError: the environment, not the code"),
        ),
        (
            record(longrepr="> assert os.environ.get('SHOP_TOKEN')"),
            TEST_ONLY,
            None,
            (ENVIRONMENT, MEDIUM, "the failing assertion reads environment variable SHOP_TOKEN"),
        ),
        (
            command_failed(PSQL),
            TEST_ONLY,
            None,
            (
                ENVIRONMENT,
                MEDIUM,
                "the command psql, not the project's own, failed (exit status 2)",
            ),
        ),
        # a signature beats where it was raised
        (
            record("builtins.AttributeError", NO_ATTRIBUTE, [IN_TEST, IN_LIBRARY]),
            PRODUCTION_ONLY,
            None,
            (TEST, HIGH, "mock target shop.pricing.totl does not exist"),
        ),
        # a missing file of the project's own is no environment: where it was raised decides
        (
            no_such_file("/proj/data/prices.csv", [IN_TEST, IN_PRODUCTION]),
            CRASH,
            None,
            (PRODUCTION, HIGH, "FileNotFoundError raised inside production code"),
        ),
        # the change evidence beats the raise site: a changed test, unchanged code that raised
        (
            ZERO,
            {**CRASH, **TEST_ONLY},
            None,
            (
                TEST,
                MEDIUM,
                "the changed test calls unchanged production code wrongly "
                "(ZeroDivisionError: division by zero)",
            ),
        ),
        # a deliberate raise in code that changed is the change's
        (
            REJECTED,
            {**RAISE, **PRODUCTION_ONLY},
            None,
            (PRODUCTION, HIGH, "ValueError raised inside production code"),
        ),
        # coverage's "no production code" beats blame
        (
            ASSERTED,
            {"runs": [], **NEWEST_PRODUCTION},
            None,
            (
                TEST,
                MEDIUM,
                "the test runs no production code: the expectation that failed is its own",
            ),
        ),
        # nothing decides
        (
            ASSERTED,
            {},
            None,
            (PRODUCTION, LOW, "the test's expectation disagrees with what production code returns"),
        ),
    ],
)
def test_classify_order(
    rec: Record,
    probe: Answers,
    flaky: Mapping[str, Any] | None,
    winner: tuple[Category, Confidence, str],
) -> None:
    verdict = classify(rec, LAYOUT, FakeProbe(**probe), flaky)
    assert (verdict.category, verdict.confidence, verdict.reason) == winner


@pytest.mark.parametrize(
    ("rec", "probe", "asked"),
    [
        # a flaky test, the environment, a signature: no question to git
        (REFUSED_IN_PRODUCTION, {}, []),
        (record("builtins.Exception", longrepr=FIXTURE_LONGREPR), {}, []),
        # the change evidence decides: blame (the slow question) is not asked
        (ASSERTED, TEST_ONLY, ["test_changed", "production_changed"]),
        (
            ASSERTED,
            {},
            ["test_changed", "production_changed", "runs_production", "newest_change"],
        ),
    ],
)
def test_classify_asks_only_what_it_needs(rec: Record, probe: Answers, asked: list[str]) -> None:
    fake = FakeProbe(**probe)
    classify(rec, LAYOUT, fake)
    assert fake.asked == asked


def test_verdict_json_keeps_plain_strings() -> None:
    verdict = classify(ASSERTED, LAYOUT, FakeProbe(**TEST_ONLY))
    data = json.loads(json.dumps(verdict.to_json()))
    assert (data["category"], data["confidence"]) == ("test", "medium")
    assert [str(c) for c in Category] == ["test", "production", "flaky", "environment"]
    assert [f"{c}" for c in Confidence] == ["high", "medium", "low"]


def test_modules_failing_on_one_missing_module_are_one_root_cause() -> None:
    # Fifteen test modules that cannot import the same uninstalled package are one cause,
    # not fifteen: the group is the missing module, not each module's import line.
    from tasks.triage.report import group

    verdicts = [
        dataclasses.replace(
            classify(
                dataclasses.replace(
                    record(NO_MODULE, "No module named 'requests'", name="requests"),
                    nodeid=f"tests/test_{i}.py",
                    when="collect",
                ),
                LAYOUT,
                FakeProbe(),
            ),
            site=f"tests/test_{i}.py:1",
        )
        for i in range(15)
    ]
    [only] = group(verdicts)
    assert (only["count"], only["category"], only["site"]) == (
        15,
        "environment",
        "module requests not installed",
    )


def test_suspect_lines_pick_what_failing_tests_run_and_passing_ones_do_not() -> None:
    from tasks.triage.localize import suspect_lines

    lines = {
        # three failing tests share the buggy line 12 and the common line 3
        "t::a": {"/p/m.py": {3, 12, 20}},
        "t::b": {"/p/m.py": {3, 12}},
        "t::c": {"/p/m.py": {3, 12, 30}},
        # passing tests run line 3 (and 20, 30) but never 12
        "t::ok1": {"/p/m.py": {3, 20}},
        "t::ok2": {"/p/m.py": {3, 30}},
        # test code never counts
        "t::d": {"/p/tests/test_m.py": {1, 2}},
    }
    production = lambda f: "/tests/" not in f  # noqa: E731
    found = suspect_lines({"t::a", "t::b", "t::c", "t::d"}, lines, production)
    assert found == dict.fromkeys(("t::a", "t::b", "t::c"), ("/p/m.py", 12))
    assert suspect_lines(set(), lines, production) == {}
