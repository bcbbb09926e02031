"""Playbooks: named setups with checklist criteria, and the positions that follow them."""
