"""Pure domain rules: no framework or database imports."""
