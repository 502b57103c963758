"""Benchmarks: calibration and speed of the fit (run as modules, not in the test suite)."""
