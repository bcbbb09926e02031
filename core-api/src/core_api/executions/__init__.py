"""Executions (fills): idempotent upserts from imports and broker syncs."""
