"""Import jobs: raw files in object storage, their progress and their outcome."""
