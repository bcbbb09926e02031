"""Market data: bars from a provider, cached in object storage, and MAE/MFE of positions."""
