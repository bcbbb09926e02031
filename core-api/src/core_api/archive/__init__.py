"""A trader's whole data as one zip archive: exported, and restored into an empty account."""
