"""Server-side browser sessions: the store, the timeouts and the cookie."""
