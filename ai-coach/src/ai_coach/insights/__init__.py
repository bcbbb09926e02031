"""Behavioural insight detectors and the endpoint that computes and stores insights."""
