"""ecgcore.benchmarks."""
