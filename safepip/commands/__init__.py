"""The subcommands besides ``install``: argument parsing and rendering only."""
