"""Customers' status links: /s/<token> shows one appointment's status, nothing else."""
