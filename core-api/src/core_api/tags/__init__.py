"""Tags: the trader's vocabulary of setups, mistakes and emotions."""
