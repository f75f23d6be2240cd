"""ecgcore.drivers."""
