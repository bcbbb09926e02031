"""Import jobs: raw broker files in, normalised executions and a row-by-row report out."""
