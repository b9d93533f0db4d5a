"""Across the population: interest trends over time and per-user adoption of new interests.

Everything here reads histories the way the model does (:func:`build_sequences`: each user's
distinct items at their first event, low ratings left out as not an interest) and labels each
item with the served build's fine interest and theme. Pure pandas/NumPy; the engine feeds it.
"""
