"""A webhook's signing secrets and signatures, as Standard Webhooks specifies (the standardwebhooks library).

The secret is derived from the endpoint's salt and the server key (board.keys), shown once as
`whsec_<base64>` when the endpoint is made or its secret rotated, and never stored. During the
24 hours after a rotation both secrets sign: the header carries both signatures, space-separated.
"""

import base64
from datetime import datetime, timedelta

from standardwebhooks.webhooks import Webhook as StandardWebhook

from board import keys

PURPOSE = "webhook-secret"
SECRET_PREFIX = "whsec_"
PREVIOUS_SECRET_KEPT = timedelta(hours=24)


def secret_of(salt: bytes, key: bytes | None = None) -> str:
    return SECRET_PREFIX + base64.b64encode(keys.derive(PURPOSE, salt, key)).decode()


def signature_header(
    salts: list[bytes], message_id: str, timestamp: datetime, body: bytes, key: bytes | None = None
) -> str:
    """The webhook-signature header: one `v1,<signature>` per secret in use, space-separated."""
    return " ".join(StandardWebhook(secret_of(salt, key)).sign(message_id, timestamp, body) for salt in salts)
