"""`phasegate affected [--base REF] [--head REF] [--json]`: the selection for people, CI jobs
and the hook. The default base is the merge-base of HEAD with its upstream; without an
upstream, the commits no remote has; without either, the whole suite (and why)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tasks.affected import render
from tasks.affected.diff import run_git
from tasks.affected.model import CommitRange
from tasks.affected.select import select
from tasks.config import PhaseConfig
from tasks.errors import ConfigError, GitError

HELP = "list the tests a range of commits can break, each with its reasons"


def add_parser(sub: Any, shared: argparse.ArgumentParser) -> None:
    """Add the `affected` command to the CLI's subparsers (`sub`), with the shared options."""
    parser = sub.add_parser("affected", parents=[shared], help=HELP, description=HELP)
    parser.add_argument(
        "--base",
        metavar="REF",
        help="compare with this commit (default: the merge-base with the upstream, else what "
        "no remote has)",
    )
    parser.add_argument("--head", metavar="REF", help="the last commit to test (default: HEAD)")
    parser.add_argument(
        "--json", action="store_true", help='print {"format": 1, ...} to stdout instead'
    )


def commit(project: Path, ref: str, flag: str) -> str:
    out = run_git(
        project, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
    )
    return out.decode().strip()


def resolve(project: Path, ref: str, flag: str) -> str:
    """The commit `ref` names; one line naming the flag when it names none."""
    try:
        return commit(project, ref, flag)
    except GitError:
        raise ConfigError(
            f"{flag} {ref}: no such commit in {project}; use a branch, tag or sha"
        ) from None


def default_ranges(project: Path, head: str) -> list[CommitRange]:
    """head against its upstream's merge-base; else against what no remote has."""
    try:
        upstream = commit(project, "@{upstream}", "--base")
        base = run_git(project, "merge-base", head, upstream).decode().strip()
        return [CommitRange(base, head)]
    except GitError:
        pass
    out = run_git(project, "rev-list", "--boundary", head, "--not", "--remotes").decode()
    commits = out.split()
    boundary = [c[1:] for c in commits if c.startswith("-")]
    if boundary:
        return [CommitRange(b, head) for b in boundary]
    if not commits:
        return [CommitRange(head, head)]  # every remote has it: nothing new to test
    return [CommitRange(None, head)]


def ranges_of(project: Path, base: str | None, head: str | None) -> list[CommitRange]:
    head_sha = resolve(project, head or "HEAD", "--head")
    if base is not None:
        return [CommitRange(resolve(project, base, "--base"), head_sha)]
    return default_ranges(project, head_sha)


def run(args: argparse.Namespace, config: PhaseConfig) -> int:
    """Print the selection (exit 0); bad refs and settings are one line, exit 2."""
    values = vars(args)
    ranges = ranges_of(config.project, values.get("base"), values.get("head"))
    selection = select(config, ranges)
    if values.get("json"):
        print(json.dumps({"format": 1, **render.to_json(selection)}, indent=2))
    else:
        print(render.explain(selection))
    return 0
