"""One module per ``grader`` subcommand: a docstring, ``add_arguments(parser)`` and ``run(args) -> int``."""
