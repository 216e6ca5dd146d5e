"""Database adapters: tables, engine, unit of work, repositories."""
