"""CLI commands kept in modules of their own; registered in gapcheck.cli.LAZY_COMMANDS.

Each module imports only click (and gapcheck.cli's helpers) at the top: `gapcheck --help`
imports it to show the command's one-line help.
"""
