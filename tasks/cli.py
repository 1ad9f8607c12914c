"""The `phasegate` command: parse arguments, run a step or `validate`, map errors to exit codes.

This is the one place (with sessions.py for nox) where exceptions become exit codes.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tasks import __version__
from tasks.config import PhaseConfig, load_config
from tasks.console import Console
from tasks.errors import ExitCode, PhaseError
from tasks.options import OPTIONS
from tasks.options_doc import default_plain
from tasks.pipeline import ORDER, run_step_named, step_exit_code, validate

COMMANDS = (*ORDER, "validate")
HELPS = {
    "run": "run the suite once, instrumented; record every test's outcome",
    "triage": "categorise every failure with evidence, a fix and a repro command",
    "stability": "rerun the suite in fresh processes and varied orders; find flaky tests",
    "coverage": "gate coverage and update the history",
    "summary": "write the phase summary markdown",
    "validate": "all of the above, then the gate table",
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
        "exit codes: 0 all gates pass, 1 a quality gate failed, 2 bad usage or config "
        "(includes no tests collected), 3 internal error, 130 interrupted",
    )
    parser.add_argument("--version", action="version", version=f"phasegate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="STEP", required=True)
    for name in COMMANDS:
        sub.add_parser(
            name, parents=[shared], help=argparse_text(HELPS[name]), description=HELPS[name]
        )
    return parser


def config_from_args(args: argparse.Namespace, default_project: Path) -> PhaseConfig:
    values = vars(args)
    cli = {o.name: values[o.name] for o in OPTIONS if o.name in values}
    return load_config(Path(values.get("project") or default_project), cli)


def execute(command: str, config: PhaseConfig, console: Console) -> ExitCode:
    if command == "validate":
        return validate(config, console)
    return step_exit_code(command, run_step_named(command, config, console))


def guarded(action: Callable[[], int], console: Console) -> int:
    """Run `action`, turning every outcome into a documented exit code."""
    try:
        return int(action())
    except KeyboardInterrupt:
        console.write("phasegate: interrupted")
        return int(ExitCode.INTERRUPTED)
    except PhaseError as exc:
        print(f"phasegate: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except Exception:  # the boundary: anything unexpected is an internal error, with its trace
        traceback.print_exc()
        print(
            "phasegate: internal error (exit 3); please report it with the trace above",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(quiet=bool(getattr(args, "quiet", False)))
    return guarded(
        lambda: execute(args.command, config_from_args(args, Path.cwd()), console), console
    )


if __name__ == "__main__":
    sys.exit(main())
