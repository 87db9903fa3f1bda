"""The trusted grading harness of the CNN course (see DESIGN.md: orchestrator, checker, sandbox)."""
