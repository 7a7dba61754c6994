"""Package indexes: project pages (PEP 503 / 691) and a small fetching client."""
