"""Text embedding: the Embedder protocol and its sentence-transformers implementation."""
