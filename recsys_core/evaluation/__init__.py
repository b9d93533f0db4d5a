"""Offline evaluation: metrics, baselines and the time-ordered hold-out runner."""
