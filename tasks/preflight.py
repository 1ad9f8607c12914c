"""Every input checked before the first test runs (the instrumented run can take minutes):
the history, the flaky record, the quarantine, `source`, `base_ref`, and that the outputs'
folders can be written."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from tasks import gitinfo
from tasks.artifacts.flaky_seen import load_seen
from tasks.artifacts.history import load_history
from tasks.config import PhaseConfig
from tasks.errors import ConfigError, GitError
from tasks.stability import quarantine


def preflight(config: PhaseConfig) -> None:
    """Check every input before the first test runs (the instrumented run can take minutes):
    the history, the flaky record, the quarantine, `source`, `base_ref`, a repository git
    refuses to read (the commit, the blame and the diff come from it). The numbers are
    checked when the config is loaded; where outputs go, by `project_session`."""
    gitinfo.toplevel(config.project)  # RepositoryRefusedError, else no repository is fine
    load_history(config.trending)
    load_seen(config.seen_flaky)
    quarantine.load(config.quarantine)
    for entry in config.source:
        check_source(config, entry)
    check_base_ref(config)


def check_writable(config: PhaseConfig, name: str) -> None:
    """The folder an output goes to exists or can be made, and can be written."""
    path: Path = getattr(config, name)
    folder = path if name == "reports_dir" else path.parent
    if name != "reports_dir" and path.is_dir():
        raise ConfigError(f"{config.where(name)}: {path} is a folder; name a file")
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{config.where(name)}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{config.where(name)}: {existing} is not writable")


def check_source(config: PhaseConfig, entry: str) -> None:
    """`entry` of `source` is a folder of the project or a package coverage can find."""
    if (config.project / entry).exists():
        return
    parts = entry.split(".")
    roots = [config.project, *config.pythonpath_dirs]
    roots += [p for p in sorted(config.project.iterdir()) if p.is_dir()]
    for root in roots:
        base = root.joinpath(*parts)
        if base.is_dir() or base.with_suffix(".py").is_file():
            return
    # With venv = "none" the tests run in this interpreter, so an installed package counts:
    # looked up by its top-level name only, which finding does not import.
    installed = config.venv == "none" and all(p.isidentifier() for p in parts)
    if installed and importlib.util.find_spec(parts[0]) is not None:
        return
    raise ConfigError(
        f'{config.where("source")}: "{entry}" is neither a folder of the project nor a '
        "package in it; name the package or folder coverage should measure"
    )


def check_base_ref(config: PhaseConfig) -> None:
    """`base_ref` names a commit of the project's repository; a shallow clone is named."""
    if not config.base_ref:
        return
    if gitinfo.toplevel(config.project) is None:
        raise GitError(f"{config.where('base_ref')}: {config.project} is not a git repository")
    try:
        gitinfo.resolve(config.project, config.base_ref)
    except GitError:
        shallow = gitinfo.git(config.project, "rev-parse", "--is-shallow-repository", check=False)
        fix = (
            "this is a shallow clone, which may not hold it: fetch the history "
            "(git fetch --unshallow; in GitHub Actions, fetch-depth: 0)"
            if shallow.strip() == "true"
            else "use a branch, tag or sha of this repository"
        )
        raise GitError(
            f"{config.where('base_ref')}: no such commit in {config.project}; {fix}"
        ) from None
