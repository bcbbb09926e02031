"""Multi-leg option strategies: positions filled together, shown and counted as one trade."""
