"""Alembic migrations of core's database (one chain)."""
