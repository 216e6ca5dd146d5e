"""How a long use case reports progress to its edge (a CLI progress bar, a log)."""

from collections.abc import Callable

# (done, total)
Progress = Callable[[int, int], None]
