"""The `phasegate` command: parse arguments, run a step or `validate`, map errors to exit codes.

This is the one place (with sessions.py for nox) where exceptions become exit codes.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tasks import __version__
from tasks.affected import command as affected_command
from tasks.ci.publish import error_annotation
from tasks.config import PhaseConfig, load_config
from tasks.console import Console
from tasks.errors import ConfigError, ExitCode, user_error
from tasks.options import OPTIONS
from tasks.options_doc import default_plain

# The steps in pipeline order (tasks.pipeline.ORDER, which a test compares), then `validate`
# and `combine`: the pipeline, which imports every step and coverage.py, loads only to run
# one, so `affected` (the pre-push hook's question) answers without it.
COMMANDS = ("run", "stability", "triage", "coverage", "summary", "validate", "combine")
SHARDED = frozenset({"run", "stability", "validate"})
HOOK_HELP = "install, remove or run the git pre-push hook: `phasegate hook --help`"
HELPS = {
    "run": "run the suite once, instrumented; record every test's outcome",
    "triage": "categorise every failure with evidence, a fix and a repro command",
    "stability": "rerun the suite in fresh processes and varied orders; find flaky tests",
    "coverage": "gate coverage and update the history",
    "summary": "write the phase summary markdown",
    "validate": "all of the above, then the gate table",
    "combine": "merge the shard jobs' folders (default: every <reports_dir>/shards/*/), then "
    "triage, coverage, summary and the gate table as validate does",
}


def argparse_text(text: str) -> str:
    """`text` as argparse expects a help string: it %-formats them, so a literal % is %%."""
    return text.replace("%", "%%")


def option_parser() -> argparse.ArgumentParser:
    """The shared options: --project, --quiet and one flag per config key.

    Defaults are SUPPRESS so the options work before and after the step name alike.
    """
    parser = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    group = parser.add_argument_group("options (each overrides [tool.phasegate] and PHASEGATE_*)")
    group.add_argument(
        "--project", metavar="DIR", help="the project to validate (default: the current directory)"
    )
    group.add_argument("-q", "--quiet", action="store_true", help="fewer progress lines")
    for option in OPTIONS:
        group.add_argument(
            option.flag,
            dest=option.name,
            metavar="VALUE",
            help=argparse_text(
                f"{option.help} [default: {default_plain(option)}; {option.env_var}]"
            ),
        )
    return parser


def build_parser() -> argparse.ArgumentParser:
    shared = option_parser()
    parser = argparse.ArgumentParser(
        prog="phasegate",
        parents=[shared],
        description="Validate a test-quality phase of a pytest project: run, triage, "
        "stability, coverage, summary; or all of them with `validate`.",
        epilog="lists on the command line are split like a shell line: "
        "--pytest-args \"-k 'not slow'\". "
        "exit codes: 0 all gates pass, 1 a quality gate failed, 2 bad usage, config or input "
        "(includes no tests collected, a full disk, another run holding the project's lock), "
        "3 internal error (a bug: with its trace), 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"phasegate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="STEP", required=True)
    for name in COMMANDS:
        command = sub.add_parser(
            name, parents=[shared], help=argparse_text(HELPS[name]), description=HELPS[name]
        )
        if name == "combine":
            command.add_argument("dirs", nargs="*", metavar="DIR", help="a shard's folder")
    sub.add_parser("hook", help=HOOK_HELP, add_help=False)  # parsed by tasks.hook.command
    affected_command.add_parser(sub, shared)
    return parser


def config_from_args(args: argparse.Namespace, default_project: Path) -> PhaseConfig:
    values = vars(args)
    cli = {o.name: values[o.name] for o in OPTIONS if o.name in values}
    return load_config(Path(values.get("project") or default_project), cli)


def execute(
    command: str, config: PhaseConfig, console: Console, invoked: str, dirs: Sequence[str] = ()
) -> ExitCode:
    if config.shard and command not in SHARDED:
        raise ConfigError(
            f"{config.where('shard')}: only run, stability and validate run a shard's tests; "
            f"drop it for {command}"
        )
    from tasks.pipeline import project_session, run_step_named, step_exit_code, validate
    from tasks.shards.combine import combine

    with project_session(config, console, invoked):
        if command == "combine":
            return combine(config, console, dirs)
        if command == "validate":
            return validate(config, console)
        return step_exit_code(command, run_step_named(command, config, console))


def guarded(
    action: Callable[[], int],
    console: Console,
    where: Callable[[str], str | None] = lambda path: None,
) -> int:
    """Run `action`, turning every outcome into a documented exit code: a problem on the
    user's side is one line and exit 1 or 2 (tasks.errors.user_error); exit 3 is for bugs,
    with the trace. `where(path)` names the setting that chose a path."""
    try:
        return int(action())
    except KeyboardInterrupt:
        console.write("phasegate: interrupted")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # the boundary: the one place exceptions become exit codes
        error = user_error(exc, where)
        if error is not None:
            print(f"phasegate: error: {error}", file=sys.stderr)
            annotation = error_annotation(str(error), int(error.exit_code))
            if annotation is not None:
                print(annotation, file=sys.stderr)
            return int(error.exit_code)
        traceback.print_exc()
        print(
            "phasegate: internal error (exit 3); please report it with the trace above",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)


def guarded_with_config(
    load: Callable[[], PhaseConfig], body: Callable[[PhaseConfig], int], console: Console
) -> int:
    """`guarded` for an action on a config, whose errors name the setting behind a path."""
    loaded: list[PhaseConfig] = []

    def action() -> int:
        loaded.append(load())
        return body(loaded[0])

    def where(path: str) -> str | None:
        return loaded[0].path_setting(path) if loaded else None

    return guarded(action, console, where)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["hook"]:
        from tasks.hook.command import main as hook_main

        return hook_main(argv[1:])
    args = build_parser().parse_args(argv)
    console = Console(quiet=bool(getattr(args, "quiet", False)))
    invoked = shlex.join(["phasegate", *argv])

    def body(config: PhaseConfig) -> int:
        if args.command == "affected":
            return affected_command.run(args, config)
        return execute(args.command, config, console, invoked, getattr(args, "dirs", []))

    return guarded_with_config(lambda: config_from_args(args, Path.cwd()), body, console)


if __name__ == "__main__":
    sys.exit(main())
