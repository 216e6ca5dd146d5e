"""German question search: analyzer, index and the catalog-backed search engine."""
