"""The trusted grading harness of the CNN course (see DESIGN.md: orchestrator, checker, sandbox)."""

import sys

# jsonschema (imported by nbformat) tries the optional rfc3987_syntax package, which builds a
# grammar at import time: 2.8 s in every process that reads a notebook. Notebooks use no IRI
# formats, so mark it absent; jsonschema then skips that format check.
sys.modules.setdefault("rfc3987_syntax", None)
