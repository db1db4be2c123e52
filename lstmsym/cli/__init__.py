"""Stage 8, the command line: one module per command, each with add_arguments(parser) and run(args)."""
