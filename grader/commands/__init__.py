"""One module per ``grader`` subcommand: ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``."""
