"""`python -m tasks` runs the phasegate command."""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["hook"]:
    # The pre-push hook's way in: without the rest of the CLI's imports, so a push with
    # nothing to test decides in a fraction of a second.
    from tasks.hook.command import main as hook_main

    sys.exit(hook_main(sys.argv[2:]))

from tasks.cli import main

sys.exit(main())
