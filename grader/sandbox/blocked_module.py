"""Stands in for a module the assignment forbids; bound over its package inside the sandbox."""

raise ImportError(
    f"{__name__} is not available in this assignment: implement it with numpy "
    "(the grader hides this library from submissions)"
)
