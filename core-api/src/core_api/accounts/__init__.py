"""Brokerage accounts of a trader."""
