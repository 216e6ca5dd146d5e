"""The statistics slice's pages and JSON API."""
