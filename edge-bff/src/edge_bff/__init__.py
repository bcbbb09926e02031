"""Tradeloop's edge: the one public entry point for browsers, mobile apps and the CLI."""
