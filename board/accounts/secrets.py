"""Secrets we hand out (API tokens, session cookies): made random, kept only as a hash."""

import hashlib
import secrets

TOKEN_PREFIX = "board_"


def new_secret(prefix: str = "") -> str:
    """256 random bits, URL-safe, after `prefix` (so secret scanners can spot a leaked token)."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """SHA-256 suffices for 256-bit random secrets (no dictionary to try); rows are found by it."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
