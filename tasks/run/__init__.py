"""The `run` step: one instrumented suite run, what coverage measures, and the
background coverage reporter."""

# Nothing is imported here: a module of the step (its rules, a helper) loads without the
# step itself (the pre-push hook uses triage's rules, not its step). The step: `.step`.
