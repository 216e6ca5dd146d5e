"""Use cases: one function per thing a person does; web, CLI and jobs call the same ones."""

from collections.abc import Callable

# How a long use case reports progress to its edge: (done, total).
Progress = Callable[[int, int], None]
