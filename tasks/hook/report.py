"""What the hook says: the skip line, the selection with its reasons (`--explain`), and the
environment its children get. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tasks.affected.model import CommitRange, Selection

SKIP = "phasegate: skip this check with `git push --no-verify` or `PHASEGATE_SKIP=1 git push`"
# GIT_* variables a child may keep (pre-commit's no_git_env keeps the same): how to reach a
# remote and config given on the command line. Every other one git sets for the hook
# (GIT_DIR, GIT_INDEX_FILE, GIT_WORK_TREE, GIT_PREFIX, ...) would point the project's tests,
# and our own git calls on other paths, at the pushing repository.
KEPT_GIT = frozenset(
    {
        "GIT_EXEC_PATH",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_NO_VERIFY",
        "GIT_CONFIG_COUNT",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_ALLOW_PROTOCOL",
        "GIT_ASKPASS",
    }
)


def without_git_env(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the GIT_* variables git sets inside a hook."""
    return {
        k: v
        for k, v in env.items()
        if not k.startswith("GIT_")
        or k in KEPT_GIT
        or k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))
    }


def skipped(env: Mapping[str, str]) -> bool:
    """PHASEGATE_SKIP set to anything but an empty, 0, false or no value."""
    return env.get("PHASEGATE_SKIP", "").strip().lower() not in ("", "0", "false", "no")


def short(oid: str | None) -> str:
    return "(none)" if oid is None else oid[:12]


def describe(ranges: Sequence[CommitRange]) -> str:
    return ", ".join(f"{short(r.base)}..{short(r.head)}" for r in ranges)


def wanted(selection: Selection) -> list[str] | None:
    """The node ids to run; None for the whole suite."""
    return None if selection.full_suite else [t.nodeid for t in selection.selected]
