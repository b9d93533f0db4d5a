"""Interest hierarchy and the hierarchical long/short-term user model (torch loads lazily)."""
