"""The git pre-push hook: install and remove it (`install`), read what a push sends
(`pushes`), and check the tests the push can break (`check`); `phasegate hook ...`
(`command`). The shim git runs is `hooks/pre-push`, shipped here as `pre-push`."""
