"""Data layer: the DuckDB store, file readers, importers and the shipped sample."""
