"""Use cases of statistics: the figures across slices, the demo year."""
