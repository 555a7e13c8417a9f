"""Shops: each with its own board, people and time zone, isolated from the others by the database."""
