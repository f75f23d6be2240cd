"""Filtering: design with scipy, run with numba kernels, streaming or zero-phase."""
