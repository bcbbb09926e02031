"""Tradeloop's server-rendered pages."""
