"""Alembic migrations of every cloud table (PostgreSQL in production, SQLite for demos)."""
