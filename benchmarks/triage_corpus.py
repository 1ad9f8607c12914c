"""A labeled corpus of planted failures for boltons 26.2.0 (a real PyPI sdist with tests).

Each plant edits boltons' own source or tests the way a phase's work would, and names the
tests it makes fail with the category a careful developer would give them. bench_triage.py
plants them in a git history and checks phasegate's triage against the labels.

Get the project: pip download --no-deps --no-binary :all: boltons==26.2.0
"""

from __future__ import annotations

import dataclasses

TEST, PRODUCTION, FLAKY, ENVIRONMENT = "test", "production", "flaky", "environment"


@dataclasses.dataclass(frozen=True)
class Edit:
    """Replace `old` (which must occur exactly once) by `new`; `old` None appends `new`
    (creating the file if needed)."""

    path: str
    new: str
    old: str | None = None


@dataclasses.dataclass(frozen=True)
class Plant:
    name: str
    category: str
    edits: tuple[Edit, ...]
    failing: tuple[str, ...]  # the tests (node ids) it makes fail
    note: str


def _append(path: str, code: str) -> Edit:
    return Edit(path, "\n\n" + code.strip("\n") + "\n")


MATH = "tests/test_mathutils.py"
STR = "tests/test_strutils.py"

PLANTS: tuple[Plant, ...] = (
    # --- production regressions: boltons' code changed, its tests did not ------------------
    Plant(
        "clamp-swapped",
        PRODUCTION,
        (
            Edit(
                "boltons/mathutils.py",
                "    return max(min(x, lower), upper)\n",
                "    return min(max(x, lower), upper)\n",
            ),
        ),
        (f"{MATH}::test_clamp_examples", f"{MATH}::test_clamp_transparent"),
        "min and max swapped in clamp()",
    ),
    Plant(
        "int-list-range-end",
        PRODUCTION,
        (
            Edit(
                "boltons/strutils.py",
                "range(min(range_limits), max(range_limits)))",
                "range(min(range_limits), max(range_limits)+1))",
            ),
        ),
        (f"{STR}::test_parse_int_list",),
        "off by one: ranges lose their last number",
    ),
    Plant(
        "uuid-version-inverted",
        PRODUCTION,
        (
            Edit(
                "boltons/strutils.py",
                "if version and obj.version == int(version):",
                "if version and obj.version != int(version):",
            ),
        ),
        (f"{STR}::test_is_uuid",),
        "inverted condition",
    ),
    Plant(
        "bytes2human-divisor",
        PRODUCTION,
        (
            Edit(
                "boltons/strutils.py",
                "hnbytes = float(nbytes) / next_size",
                "hnbytes = float(nbytes) / size",
            ),
        ),
        (f"{STR}::test_bytes2human",),
        "wrong divisor",
    ),
    Plant(
        "ceil-crashes",
        PRODUCTION,
        (
            Edit(
                "boltons/mathutils.py",
                "    options = sorted(options, key=lambda o: o / (o - o))\n"
                "    i = bisect.bisect_left(options, x)",
                "    options = sorted(options)\n    i = bisect.bisect_left(options, x)",
            ),
        ),
        (
            f"{MATH}::test_ceil_basic",
            f"{MATH}::test_ceil_sorted",
            f"{MATH}::test_ceil_oor_lower",
            f"{MATH}::test_ceil_oor_upper",
        ),
        "ZeroDivisionError inside ceil()",
    ),
    Plant(
        "subdict-forgets-return",
        PRODUCTION,
        (
            Edit(
                "boltons/dictutils.py",
                "    type(d)([(k, v) for k, v in d.items() if k in keys])\n",
                "    return type(d)([(k, v) for k, v in d.items() if k in keys])\n",
            ),
        ),
        (
            "tests/test_dictutils.py::test_subdict",
            "tests/test_dictutils.py::test_subdict_keep_type",
        ),
        "a missing return: len(None) fails in the test's own line",
    ),
    # --- test bugs: the tests changed, the code they test did not ---------------------------
    Plant(
        "format-int-list-expectation",
        TEST,
        (
            Edit(
                STR,
                "    assert strutils.format_int_list([5, 6, 7, 8]) == '5-9'\n",
                "    assert strutils.format_int_list([5, 6, 7, 8]) == '5-8'\n",
            ),
        ),
        (f"{STR}::test_format_int_list",),
        "wrong expected value",
    ),
    Plant(
        "indent-expectation",
        TEST,
        (
            Edit(
                STR,
                r"    ref = '\n  abc\n  def\n  \n  xyz\n'",
                r"    ref = '\n  abc\n  def\n\n  xyz\n'",
            ),
        ),
        (f"{STR}::test_indent",),
        "wrong expected value",
    ),
    Plant(
        "fixture-typo",
        TEST,
        (
            _append(
                "tests/test_iterutils.py",
                "def test_planted_fixture_typo(tmp_pth):\n    assert tmp_pth.exists()",
            ),
        ),
        ("tests/test_iterutils.py::test_planted_fixture_typo",),
        "misspelled fixture",
    ),
    Plant(
        "mock-missing-name",
        TEST,
        (
            _append(
                "tests/test_cacheutils.py",
                "def test_planted_patch_missing_name():\n"
                "    from unittest import mock\n\n"
                '    with mock.patch("boltons.cacheutils.LRUCache"):\n'
                "        pass",
            ),
        ),
        ("tests/test_cacheutils.py::test_planted_patch_missing_name",),
        "patches a name the module does not have",
    ),
    Plant(
        "import-never-existed",
        TEST,
        (
            Edit(
                "tests/test_planted_import.py",
                "from boltons.strutils import slugify_all\n\n\n"
                "def test_planted_slugify_all():\n    assert slugify_all\n",
            ),
        ),
        ("tests/test_planted_import.py",),
        "imports a name boltons never had",
    ),
    Plant(
        "wrong-call",
        TEST,
        (_append(MATH, "def test_planted_wrong_call():\n    assert clamp(5, 0, 10, 20) == 5"),),
        (f"{MATH}::test_planted_wrong_call",),
        "calls clamp() with too many arguments",
    ),
    Plant(
        "clamp-reversed-bounds",
        TEST,
        (_append(MATH, "def test_planted_reversed_bounds():\n    assert clamp(5, 10, 0) == 5"),),
        (f"{MATH}::test_planted_reversed_bounds",),
        "passes bounds clamp() rejects on purpose (its `raise ValueError`)",
    ),
    Plant(
        "slugify-expectation",
        TEST,
        (
            _append(
                STR,
                "def test_planted_slugify():\n"
                "    assert strutils.slugify('Hello World') == 'hello-world'",
            ),
        ),
        (f"{STR}::test_planted_slugify",),
        "new test expects '-' where slugify() uses '_' by default",
    ),
    # --- environment: the code is fine, the machine is not ---------------------------------
    Plant(
        "connection-refused",
        ENVIRONMENT,
        (
            _append(
                "tests/test_socketutils.py",
                "def test_planted_needs_local_server():\n"
                "    import socket\n\n"
                '    socket.create_connection(("127.0.0.1", 9), timeout=2)',
            ),
        ),
        ("tests/test_socketutils.py::test_planted_needs_local_server",),
        "no server on the port",
    ),
    Plant(
        "name-resolution",
        ENVIRONMENT,
        (
            _append(
                "tests/test_urlutils.py",
                "def test_planted_resolves_host():\n"
                "    import socket\n\n"
                '    socket.getaddrinfo("phasegate-planted.invalid", 443)',
            ),
        ),
        ("tests/test_urlutils.py::test_planted_resolves_host",),
        "DNS lookup of a host that does not resolve",
    ),
    Plant(
        "missing-env-var",
        ENVIRONMENT,
        (
            _append(
                "tests/test_fileutils.py",
                "def test_planted_needs_token():\n"
                "    import os\n\n"
                '    assert os.environ["BOLTONS_PLANTED_API_TOKEN"]',
            ),
        ),
        ("tests/test_fileutils.py::test_planted_needs_token",),
        "environment variable not set",
    ),
    Plant(
        "missing-third-party",
        ENVIRONMENT,
        (
            _append(
                "tests/test_jsonutils.py",
                "def test_planted_uses_yaml_lib():\n"
                "    import ruamel_planted_yaml\n\n"
                "    assert ruamel_planted_yaml",
            ),
        ),
        ("tests/test_jsonutils.py::test_planted_uses_yaml_lib",),
        "third-party module not installed",
    ),
    Plant(
        "missing-system-file",
        ENVIRONMENT,
        (
            _append(
                "tests/test_fileutils.py",
                "def test_planted_reads_site_config():\n"
                '    with open("/etc/boltons-planted/site.ini") as handle:\n'
                "        assert handle.read()",
            ),
        ),
        ("tests/test_fileutils.py::test_planted_reads_site_config",),
        "a machine-wide file that is not there",
    ),
    Plant(
        "missing-command",
        ENVIRONMENT,
        (
            _append(
                "tests/test_ioutils.py",
                "def test_planted_runs_converter():\n"
                "    import subprocess\n\n"
                '    subprocess.run(["boltons-planted-converter", "--version"], check=True)',
            ),
        ),
        ("tests/test_ioutils.py::test_planted_runs_converter",),
        "a command that is not installed",
    ),
    Plant(
        "service-timeout",
        ENVIRONMENT,
        (
            _append(
                "tests/test_ioutils.py",
                "def test_planted_slow_service():\n"
                "    import subprocess\n"
                "    import sys\n\n"
                "    subprocess.run(\n"
                '        [sys.executable, "-c", "import time; time.sleep(5)"], timeout=0.2\n'
                "    )",
            ),
        ),
        ("tests/test_ioutils.py::test_planted_slow_service",),
        "a service call that times out",
    ),
    # --- flaky: the outcome depends on the run ----------------------------------------------
    Plant(
        "fails-first-run",
        FLAKY,
        (
            Edit(
                "tests/test_planted_counter.py",
                "from pathlib import Path\n\n"
                'COUNTER = Path(__file__).parent.parent / ".planted-first-run"\n\n\n'
                "def test_planted_warm_cache():\n"
                "    n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1\n"
                "    COUNTER.write_text(str(n))\n"
                '    assert n > 1, "cold cache on the first run"\n',
            ),
        ),
        ("tests/test_planted_counter.py::test_planted_warm_cache",),
        "counter file: fails on the first run only",
    ),
    Plant(
        "fails-odd-runs",
        FLAKY,
        (
            Edit(
                "tests/test_planted_odd.py",
                "from pathlib import Path\n\n"
                'COUNTER = Path(__file__).parent.parent / ".planted-odd-runs"\n\n\n'
                "def test_planted_alternating():\n"
                "    n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1\n"
                "    COUNTER.write_text(str(n))\n"
                "    assert n % 2 == 0\n",
            ),
        ),
        ("tests/test_planted_odd.py::test_planted_alternating",),
        "counter file: fails every other run, alone too",
    ),
    Plant(
        "polluted-module-state",
        FLAKY,
        (
            _append(
                "tests/test_cacheutils.py",
                "def test_planted_polluter():\n"
                "    import boltons.mathutils\n\n"
                '    boltons.mathutils.PLANTED_CACHE_MODE = "stale"',
            ),
            _append(
                MATH,
                "def test_planted_victim():\n"
                "    import boltons.mathutils\n\n"
                '    assert getattr(boltons.mathutils, "PLANTED_CACHE_MODE", "fresh") == "fresh"',
            ),
        ),
        (f"{MATH}::test_planted_victim",),
        "order-dependent: fails after test_planted_polluter",
    ),
    Plant(
        "needs-state-setter",
        FLAKY,
        (
            _append(
                "tests/test_dictutils.py",
                "def test_planted_registers():\n"
                "    import boltons.strutils\n\n"
                '    boltons.strutils.PLANTED_REGISTRY = ["x"]',
            ),
            _append(
                STR,
                "def test_planted_needs_registry():\n"
                '    assert getattr(strutils, "PLANTED_REGISTRY", None) == ["x"]',
            ),
        ),
        (f"{STR}::test_planted_needs_registry",),
        "order-dependent: passes only after test_planted_registers",
    ),
    Plant(
        "coin-flip",
        FLAKY,
        (
            Edit(
                "tests/test_planted_random.py",
                "import random\n\n\ndef test_planted_coin():\n    assert random.random() < 0.5\n",
            ),
        ),
        ("tests/test_planted_random.py::test_planted_coin",),
        "random: fails half the time (may pass every run: then it is not a failure to find)",
    ),
)
