"""The staffing slice's pages and JSON API."""
