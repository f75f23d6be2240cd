"""Beat classes, rhythm episodes and alarms."""
