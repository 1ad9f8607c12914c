"""The `stability` step: varied-order runs, suspects rerun and classified, quarantine."""

# Nothing is imported here: a module of the step (its rules, a helper) loads without the
# step itself (the pre-push hook uses triage's rules, not its step). The step: `.step`.
