"""The weekly review: the week against the trader's own baseline, and one focus."""
