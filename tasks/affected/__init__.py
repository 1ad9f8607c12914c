"""Change-aware test selection: the tests a range of commits can break, with the reasons
(`phasegate affected`, the pre-push hook, pull-request CI jobs)."""
