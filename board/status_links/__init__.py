"""Customers' status links: each appointment's /s/<token>, the page it shows without signing in, and its throttle."""
