"""The web edge: JSON API (and, later, pages)."""
