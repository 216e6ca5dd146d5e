"""auskunft: knowledge base, search and appointments for a 115 service center."""

__version__ = "0.1.0"
