"""R-peak detection."""
