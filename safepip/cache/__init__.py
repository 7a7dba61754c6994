"""pip's cache read without pip: layout, entries, identification, purge, verify, guarded delete."""
