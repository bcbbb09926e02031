"""Screenshots and other pictures attached to positions and journal entries."""
