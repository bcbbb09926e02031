"""Dashboard statistics over closed positions, one definition per number."""
