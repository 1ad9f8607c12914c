"""`phasegate hook install|uninstall|run`: the arguments, and the one place the hook's
exceptions become exit codes. A problem on the user's side is one line (exit 2), a bug is a
trace (exit 3); either way a failing run says how to skip it, so phasegate's own bug never
holds a push without a way out."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from tasks.console import Console
from tasks.hook.report import SKIP

HELP = "install, remove or run the git pre-push hook (the tests a push can break)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phasegate hook", description=HELP)
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = sub.add_parser("install", help="install the pre-push hook in this checkout")
    install.add_argument(
        "--force",
        action="store_true",
        help="replace a pre-push hook that is not phasegate's instead of keeping it as "
        "pre-push.legacy (it is deleted, like pre-commit's --overwrite)",
    )
    install.add_argument("--project", metavar="DIR", default=".", help="the project to test")
    uninstall = sub.add_parser(
        "uninstall", help="remove phasegate's hook; put back the one it replaced"
    )
    uninstall.add_argument("--project", metavar="DIR", default=".", help="the project's checkout")
    run = sub.add_parser("run", help="what the hook runs: check the pushed commits")
    run.add_argument("--project", metavar="DIR", default=".", help="the project to test")
    run.add_argument("--hook", metavar="PATH", help="the hook file git ran (set by the shim)")
    run.add_argument("--explain", action="store_true", help="print the selection and why")
    run.add_argument(
        "--upstream",
        action="store_true",
        help="check HEAD against its upstream (merge-base(@{upstream}, HEAD)..HEAD)",
    )
    run.add_argument("remote", nargs="*", help="git's arguments: the remote's name and URL")
    return parser


def guarded(action: Callable[[], int], *, hint: bool) -> int:
    """Run `action`; every exception becomes an exit code and, with `hint`, the skip line."""
    try:
        code = action()
    except KeyboardInterrupt:
        print("phasegate: interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # the boundary: the one place the hook's exceptions end
        from tasks.errors import ExitCode, user_error

        error = user_error(exc, lambda path: None)
        if error is None:
            traceback.print_exc()
            print("phasegate: internal error (exit 3); please report it", file=sys.stderr)
            code = int(ExitCode.INTERNAL)
        else:
            print(f"phasegate: error: {error}", file=sys.stderr)
            code = int(error.exit_code)
        if hint:
            print(SKIP, file=sys.stderr)
    return code


def _lines(lines: Sequence[str]) -> int:
    for line in lines:
        print(f"phasegate: {line}")
    return 0


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    project = Path(args.project)
    if args.action == "install":
        from tasks.hook.install import install

        return guarded(lambda: _lines(install(project, project, force=args.force)), hint=False)
    if args.action == "uninstall":
        from tasks.hook.install import uninstall

        return guarded(lambda: _lines(uninstall(project)), hint=False)
    from tasks.hook.hookrun import run_hook

    def action() -> int:
        hook = Path(args.hook) if args.hook else None
        stdin = sys.stdin.buffer
        return run_hook(
            project,
            hook,
            args.remote,
            stdin,
            Console(),
            explain=args.explain,
            upstream=args.upstream,
        )

    return guarded(action, hint=True)
