"""Tradeloop's coach: trading analytics and behavioural insights with evidence."""
