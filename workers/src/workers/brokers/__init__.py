"""Broker API connections: adapters, credentials and the scheduled sync."""
