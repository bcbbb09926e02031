"""Tradeloop core: the domain model and the only database."""
