"""The split of a suite into shards: every test in exactly one shard whatever N is, balanced
by the recorded durations (pytest-split's least-duration algorithm), deterministic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tasks.pytest_command import PLUGIN_DIR
from tasks.shards.split import parse_shard, shard_name, split, weights

# A suite as the split sees it: tests in collection order, then a module that failed to
# collect (its file's node id), which must land in exactly one shard like a test.
IDS = [f"tests/test_{m}.py::test_{i}" for m in "abc" for i in range(5)] + ["tests/test_bad.py"]
DURATIONS = {nodeid: float((i * 7) % 11 + 1) for i, nodeid in enumerate(IDS[:12])}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/1", (1, 1)),
        ("2/4", (2, 4)),
        (" 3 / 7 ", (3, 7)),  # GitLab's "$CI_NODE_INDEX/$CI_NODE_TOTAL" as the shell gives it
    ],
)
def test_a_shard_is_k_of_n(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected
    assert shard_name(*expected) == f"{expected[0]}-of-{expected[1]}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/3", "must have 1 <= K <= N (got K=0, N=3)"),
        ("4/3", "must have 1 <= K <= N (got K=4, N=3)"),
        ("1/0", "must have 1 <= K <= N (got K=1, N=0)"),
        ("2", "must be K/N, e.g. 2/4 (shard 2 of 4)"),
        ("a/b", "must be K/N, e.g. 2/4 (shard 2 of 4)"),
        ("-1/3", "must be K/N, e.g. 2/4 (shard 2 of 4)"),
    ],
)
def test_a_bad_shard_says_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_shard(text)


@pytest.mark.parametrize("n", range(1, 8))
@pytest.mark.parametrize("durations", [{}, DURATIONS], ids=["no-durations", "durations"])
def test_every_test_is_in_exactly_one_shard(n: int, durations: dict[str, float]) -> None:
    groups = split(IDS, durations, n)
    assert len(groups) == n
    flat = [nodeid for group in groups for nodeid in group]
    assert sorted(flat) == sorted(IDS)  # none lost, none twice
    for group in groups:  # each shard runs its tests in collection order
        assert group == sorted(group, key=IDS.index)
    assert split(IDS, durations, n) == groups  # the same split in every job


@pytest.mark.parametrize("n", range(1, 8))
def test_without_durations_the_split_is_round_robin(n: int) -> None:
    groups = split(IDS, {}, n)
    assert groups == [IDS[k::n] for k in range(n)]


@pytest.mark.parametrize(
    ("durations", "n", "expected"),
    [
        # Longest first, each to the lightest shard so far: 8 | 5+2+1 | 4+3.
        ({"a": 8, "b": 5, "c": 4, "d": 3, "e": 2, "f": 1}, 3, [["a"], ["b", "e", "f"], ["c", "d"]]),
        # Ties by collection position, then to the lowest shard.
        ({"a": 1, "b": 1, "c": 1, "d": 1}, 2, [["a", "c"], ["b", "d"]]),
        # One huge test: it gets a shard of its own, the rest share the other.
        ({"a": 1, "b": 100, "c": 1, "d": 1}, 2, [["b"], ["a", "c", "d"]]),
        # More shards than tests: the extra shards are empty, no test is lost.
        ({"a": 2, "b": 1}, 4, [["a"], ["b"], [], []]),
    ],
)
def test_the_least_duration_split(
    durations: dict[str, float], n: int, expected: list[list[str]]
) -> None:
    assert split(list(durations), durations, n) == expected


def test_a_test_without_a_recorded_duration_weighs_the_median() -> None:
    assert weights(["a", "new", "b", "c"], {"a": 1.0, "b": 2.0, "c": 9.0}) == [1, 2, 2, 9]
    assert weights(["x", "y"], {}) == [1.0, 1.0]  # nothing recorded: all alike


def test_a_new_test_lands_in_one_shard_and_the_balance_holds() -> None:
    durations = {"a": 8.0, "b": 5.0, "c": 4.0, "d": 3.0}
    groups = split(["a", "b", "new", "c", "d"], durations, 2)
    assert sorted(t for g in groups for t in g) == ["a", "b", "c", "d", "new"]
    totals = [sum(durations.get(t, 4.5) for t in g) for g in groups]
    assert max(totals) - min(totals) <= 4.5  # at most one median test apart


# The same proof through the plugin: real pytest sessions (in this process, fast), each given
# the plan of shard K of N, collect the whole suite and keep their share.
PLUGIN_IDS = [f"test_{m}_split.py::test_{i}" for m in "abc" for i in range(5)]
BAD = "test_bad_split.py"  # fails to collect: pytest collects it between b and c


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    for m in "abc":
        body = "".join(f"def test_{i}():\n    pass\n\n\n" for i in range(5))
        (root / f"test_{m}_split.py").write_text(body, encoding="utf-8")
    # Fails in pytest's collection, not at import: a module cached by an earlier session in
    # this process fails again.
    bad = 'import pytest\n\n@pytest.mark.parametrize("x", [1], ids=["a", "b"])\n'
    (root / BAD).write_text(bad + "def test_x(x):\n    pass\n", encoding="utf-8")
    return root


def plugin_share(
    suite: Path, tmp: Path, k: int, n: int, durations: dict[str, float]
) -> dict[str, Any]:
    """The recorder's output of one `--collect-only` session of shard k of n."""
    plan, record = tmp / f"plan-{k}-{n}.json", tmp / f"record-{k}-{n}.json"
    plan.write_text(json.dumps({"shard": k, "of": n, "durations": durations}), encoding="utf-8")
    env = {"PHASEGATE_SHARD_PLAN": str(plan), "PHASEGATE_RECORD": str(record)}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the recorder: a fast start
    args = ["-p", "phasegate_recorder", "-p", "no:cacheprovider"]
    args += ["--collect-only", "-q", "--import-mode=importlib", "--continue-on-collection-errors"]
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(PLUGIN_DIR))
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("PHASEGATE_ORDER", raising=False)
        code = pytest.main([*args, "--rootdir", str(suite), str(suite)])
    data: dict[str, Any] = json.loads(record.read_text(encoding="utf-8"))
    assert data["exitstatus"] == int(code)
    return data


@pytest.mark.parametrize("n", range(1, 8))
@pytest.mark.parametrize("timed", [False, True], ids=["no-durations", "durations"])
def test_every_test_is_in_exactly_one_shard_through_the_plugin(
    suite: Path, tmp_path: Path, n: int, timed: bool
) -> None:
    ids = [*PLUGIN_IDS, BAD]
    durations = {t: float((i * 7) % 11 + 1) for i, t in enumerate(PLUGIN_IDS[:12])} if timed else {}
    records = [plugin_share(suite, tmp_path, k, n, durations) for k in range(1, n + 1)]
    shares = [r["shard"] for r in records]
    assert all(s["collected"] == ids for s in shares)  # every process collected the whole suite
    assert [s["tests"] for s in shares] == split(ids, durations, n)  # phasegate's own split
    flat = [t for s in shares for t in s["tests"]]
    assert sorted(flat) == sorted(ids)  # none lost, none twice
    for record in records:
        mine = record["shard"]["tests"]
        assert record["order"] == [t for t in mine if "::" in t]  # the rest deselected
        errors = [r["nodeid"] for r in record["reports"] if r["when"] == "collect"]
        assert errors == [t for t in mine if t == BAD]  # only its shard reports the error
        assert record["exitstatus"] == (1 if BAD in mine else 0)  # and fails for it
        assert record["counts"].get("error", 0) == len(errors)
