"""Instruments: option and futures symbology, contract specs and trading days."""
