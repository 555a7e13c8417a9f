"""People and scripts: accounts, passwords, API tokens, sessions, the sign-in throttle, the permission check."""
