"""The server's secret key, and what is derived from it: webhooks' signing secrets and status links' tokens.

Both must be shown again (a status link in a card's details) or used by the service (a webhook's
signature), so a hash alone will not do; neither is stored. A row keeps a random salt, and the
secret is HMAC-SHA256(server key, purpose + salt): a copy of the database alone holds no usable
secret, and a new salt (a rotation, a replaced link) makes a new one. The key is BOARD_SECRET_KEY,
or else a file made once in the instance folder, as the embedded database is; several machines
must share one BOARD_SECRET_KEY (README, "Running on several machines").
"""

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import Flask, current_app

from board.config import ConfigError

KEY_FILE = "secret.key"
KEY_MIN_LENGTH = 32
SALT_BYTES = 16


def load_server_key(configured: str | None, instance_path: str | os.PathLike) -> bytes:
    """BOARD_SECRET_KEY, or the instance folder's key file (made with 256 random bits the first time)."""
    if configured:
        if len(configured) < KEY_MIN_LENGTH:
            raise ConfigError(f"BOARD_SECRET_KEY must be at least {KEY_MIN_LENGTH} characters long.")
        return configured.encode()
    path = Path(instance_path) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, one makes the file and the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < KEY_MIN_LENGTH:  # a file being written by another process at this moment
        raise ConfigError(f"{path} holds no key: delete it to have a new one made.")
    return key.encode()


def init_app(app: Flask) -> None:
    app.extensions["board.server_key"] = load_server_key(app.config["BOARD_SECRET_KEY"], app.instance_path)


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def derive(purpose: str, salt: bytes, key: bytes | None = None) -> bytes:
    """256 bits only the holder of the server key can make from `salt`."""
    key = key if key is not None else current_app.extensions["board.server_key"]
    return hmac.new(key, purpose.encode() + b"\0" + salt, hashlib.sha256).digest()


def derive_text(purpose: str, salt: bytes, key: bytes | None = None) -> str:
    """derive() as URL-safe text (43 characters)."""
    return base64.urlsafe_b64encode(derive(purpose, salt, key)).rstrip(b"=").decode()
