"""Broker API connections: sealed credentials, sync state, and key rotation."""
