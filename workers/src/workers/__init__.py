"""Tradeloop queue processors: the outbox relay and the broker file import job."""
