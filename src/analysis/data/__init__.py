"""Data access: paths, the raw-file registry and fetch, countries, population."""
