"""Reporting, separate from deciding: hooks, text, JSON, CI systems and redaction."""
