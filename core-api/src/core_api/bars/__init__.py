"""Price bars over a position's life, as workers fetched them, for its chart."""
