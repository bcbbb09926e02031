"""Idempotency-Key handling: claim, fingerprint, replay."""
