"""auskunft: knowledge base, search and appointments for a 115 service center."""

import os

# Our matrix products are small (a question against the catalog's vectors):
# one BLAS thread does them fastest, and idle OpenBLAS threads spinning after a
# product were measured to slow the dense model's next question embedding
# from 27 to 60-80 ms (docs/benchmarks.md). Set before NumPy loads; an
# operator's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
