"""ecgcore.datasets."""
