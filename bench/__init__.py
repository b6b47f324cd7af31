"""Benchmarks: Parley against the framework's own ceiling, measured in the same run."""
