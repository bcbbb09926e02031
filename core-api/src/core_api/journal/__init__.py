"""The journal: reflections on a day, a position, or both."""
