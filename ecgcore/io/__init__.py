"""Record readers and writers."""
