"""A token's or session's lookup as one SECURITY DEFINER function each, so that it needs no shop set first.

Until now a request's credential was found in two steps within one statement's pipeline: a
function of 0007 returned the shop of the credential's hash, the service set board.shop_id to it,
and the lookup then ran under row security. The setting cost a second statement on every request
(about a tenth of a millisecond of the service's CPU, issue 16). These functions are the lookup
itself, as the narrow path across shops: they run as their owner (whose policy sees every shop)
and return the one usable row whose secret hash matches, with its account and shop, or nothing,
and note the credential's use as the lookup did. Knowing a 256-bit secret's hash is holding the credential.
The service's statement calls them and reads no table itself. `SET search_path` pins name
resolution to the catalog and this schema; EXECUTE is for the service's role only. How often the
use is noted and how long a session lasts stay the service's to say (parameters). The two functions
of 0007 that returned only a token's or a session's shop go: nothing uses them now.

Revision ID: 0011
Revises: 0010
Create Date: 2027-01-06
"""

import os
import re
from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Functions only: the previous lookup reads the same tables.
DOWNGRADE_LOSES: dict[str, str] = {}

# The account and shop columns both lookups return, after the credential's own.
FOUND = """
    u.id, u.username, u.name, u.role,
    s.id, s.slug, s.name, s.timezone, s.last_seq, coalesce(ss.version, 0)"""
FOUND_TYPES = """
    user_id bigint, username text, name text, user_role text,
    shop_id bigint, shop_slug text, shop_name text, shop_timezone text, shop_last_seq bigint,
    shop_settings_version bigint"""
OWNER_AND_SHOP = """
        JOIN users u ON u.shop_id = c.shop_id AND u.id = c.user_id
        JOIN shops s ON s.id = c.shop_id
        LEFT JOIN shop_settings ss ON ss.shop_id = c.shop_id"""

FUNCTIONS = {
    "board_token_credential(credential text, touch_every interval)": f"""
RETURNS TABLE (credential_id bigint, label text, token_role text, {FOUND_TYPES})
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.id, c.label, c.role, {FOUND}
    FROM api_tokens c {OWNER_AND_SHOP}
    WHERE c.secret_hash = credential AND NOT u.disabled AND c.revoked_at IS NULL
      AND (c.expires_at IS NULL OR c.expires_at > now());
    IF FOUND THEN
        UPDATE api_tokens SET last_used_at = now()
        WHERE secret_hash = credential AND (last_used_at IS NULL OR last_used_at < now() - touch_every);
    END IF;
END $$""",
    "board_session_credential(credential text, touch_every interval, lifetime interval)": f"""
RETURNS TABLE (credential_id bigint, {FOUND_TYPES})
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.id, {FOUND}
    FROM sessions c {OWNER_AND_SHOP}
    WHERE c.secret_hash = credential AND NOT u.disabled AND c.expires_at > now();
    IF FOUND THEN
        UPDATE sessions SET last_seen_at = now(), expires_at = now() + lifetime
        WHERE secret_hash = credential AND last_seen_at < now() - touch_every;
    END IF;
END $$""",
}


def service_role() -> str:
    role = os.environ.get("BOARD_DB_ROLE") or "board_app"
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"BOARD_DB_ROLE must be a plain lower-case role name, got {role!r}.")
    return role


# Replaced by the functions above: a narrow path nothing uses is one too many (0007 made them).
REPLACED = {
    "board_shop_of_token": "SELECT shop_id FROM public.api_tokens WHERE secret_hash = credential",
    "board_shop_of_session": "SELECT shop_id FROM public.sessions WHERE secret_hash = credential",
}


def upgrade() -> None:
    role = service_role()
    for name in REPLACED:
        op.execute(f"DROP FUNCTION {name}(text)")
    for signature, body in FUNCTIONS.items():
        op.execute(f"""
            CREATE FUNCTION {signature} {body}
            LANGUAGE plpgsql VOLATILE SECURITY DEFINER
            SET search_path = pg_catalog, public""")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {role}")


def downgrade() -> None:
    role = service_role()
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    for name, body in REPLACED.items():
        op.execute(f"""
            CREATE FUNCTION {name}(credential text) RETURNS bigint
            LANGUAGE sql STABLE SECURITY DEFINER
            SET search_path = pg_catalog, public
            AS $$ {body} LIMIT 1 $$""")
        op.execute(f"REVOKE ALL ON FUNCTION {name}(text) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}(text) TO {role}")
