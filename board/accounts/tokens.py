"""API tokens for scripts: made with a secret shown once, stored as its hash, listed, revoked."""

from datetime import datetime

from sqlalchemy import Engine, Row, func, insert, select, update

from board.accounts.roles import at_least, weaker_role
from board.accounts.secrets import TOKEN_PREFIX, new_secret, secret_hash
from board.db import transaction
from board.errors import NotFound, TooManyTokens, ValidationFailed
from board.models import ApiToken, User

# Active tokens per account: enough for every script and screen, few enough to read in one page.
MAX_ACTIVE_TOKENS = 100
ACTIVE = ApiToken.revoked_at.is_(None) & (ApiToken.expires_at.is_(None) | (ApiToken.expires_at > func.now()))

TOKEN_COLUMNS = (
    ApiToken.id,
    ApiToken.label,
    func.coalesce(ApiToken.role, User.role).label("role"),
    ApiToken.created_at,
    ApiToken.last_used_at,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    User.id.label("owner_id"),
    User.username.label("owner_username"),
    User.name.label("owner_name"),
    ApiToken.shop_id,
)


def _select_tokens():
    return select(*TOKEN_COLUMNS).join(User, User.id == ApiToken.user_id)


def create_token(
    engine: Engine,
    *,
    user_id: int,
    label: str,
    role: str | None = None,
    expires_at: datetime | None = None,
    at_most: str | None = None,
) -> tuple[Row, str]:
    """Make a token acting as `user_id`; return it and its secret.

    Its role is at most the owner's and at most `at_most`, the role of the credential making it
    (None for an operator's command). A token made by a credential below its owner's role stores
    that role, so it can never act with more than the credential that made it.
    """
    secret = new_secret(TOKEN_PREFIX)
    with transaction(engine) as conn:
        # The owner's row is locked so that two tokens made at once cannot both pass the cap.
        owner_role = conn.scalar(select(User.role).where(User.id == user_id).with_for_update(key_share=True))
        if owner_role is None:
            raise NotFound("No such account.")
        ceiling = owner_role if at_most is None else weaker_role(owner_role, at_most)
        if role is not None and not at_least(ceiling, role):
            who = "the owner's role" if ceiling == owner_role else "the role of the credential making it"
            raise ValidationFailed({"role": [f"Must be at most {ceiling}, {who}."]})
        if role is None and ceiling != owner_role:
            role = ceiling
        active = conn.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id, ACTIVE))
        if active >= MAX_ACTIVE_TOKENS:
            raise TooManyTokens(MAX_ACTIVE_TOKENS)
        token_id = conn.scalar(
            insert(ApiToken)
            .values(user_id=user_id, label=label, role=role, secret_hash=secret_hash(secret), expires_at=expires_at)
            .returning(ApiToken.id)
        )
        return conn.execute(_select_tokens().where(ApiToken.id == token_id)).one(), secret


def list_tokens(engine: Engine, owner_id: int | None = None) -> list[Row]:
    """Every token (or those of `owner_id`), newest first, revoked ones included."""
    return token_page(engine, owner_id, limit=None)[0]


def token_page(
    engine: Engine, owner_id: int | None = None, *, limit: int | None, after: int | None = None
) -> tuple[list[Row], bool]:
    """Up to `limit` tokens (or those of `owner_id`) older than the token `after`, newest first; and if more follow."""
    statement = _select_tokens().order_by(ApiToken.id.desc())
    if owner_id is not None:
        statement = statement.where(ApiToken.user_id == owner_id)
    if after is not None:
        statement = statement.where(ApiToken.id < after)
    if limit is not None:
        statement = statement.limit(limit + 1)
    with engine.connect() as conn:
        rows = conn.execute(statement).all()
    if limit is None:
        return rows, False
    return rows[:limit], len(rows) > limit


def revoke_token(engine: Engine, token_id: int, owner_id: int | None = None) -> Row:
    """Revoke a token (only one of `owner_id`'s, when given); revoking twice keeps the first time."""
    condition = [ApiToken.id == token_id]
    if owner_id is not None:
        condition.append(ApiToken.user_id == owner_id)
    with transaction(engine) as conn:
        revoked = conn.scalar(
            update(ApiToken)
            .where(*condition)
            .values(revoked_at=func.coalesce(ApiToken.revoked_at, func.now()))
            .returning(ApiToken.id)
        )
        if revoked is None:
            raise NotFound("No such token.")
        return conn.execute(_select_tokens().where(ApiToken.id == token_id)).one()


def revoke_all_tokens(engine: Engine, owner_id: int) -> int:
    """Revoke every active token of `owner_id`; return how many."""
    with transaction(engine) as conn:
        return conn.execute(
            update(ApiToken).where(ApiToken.user_id == owner_id, ACTIVE).values(revoked_at=func.now())
        ).rowcount
