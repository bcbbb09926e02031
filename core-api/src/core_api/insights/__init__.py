"""Coach insights, computed by the coach and stored here."""
