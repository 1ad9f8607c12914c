"""`python -m tasks` runs the phasegate command."""

from __future__ import annotations

import sys

from tasks.cli import main

sys.exit(main())
