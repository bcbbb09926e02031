"""Positions: fills matched flat to flat, with realised P&L."""
