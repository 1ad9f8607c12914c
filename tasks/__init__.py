"""phasegate: validate a test-quality phase of a pytest project in one command."""

from __future__ import annotations

__version__ = "0.1.0"
