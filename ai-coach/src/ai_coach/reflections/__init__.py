"""Reflection analysis: emotions and mistakes in journal text, themes over time."""
