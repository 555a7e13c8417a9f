"""Routes for signing in and out, one's own account, API tokens, and (admins) people."""

from flask import Blueprint, Response, current_app, url_for

from board import metrics
from board.accounts import sessions, tokens, users
from board.accounts.permissions import current_identity, public, requires
from board.accounts.schemas import (
    TOKEN_PAGE_MAX,
    account_out,
    password_change_in,
    sign_in_in,
    token_in,
    token_out,
    token_page_query,
    user_in,
    user_out,
    user_patch_in,
)
from board.db import get_engine
from board.errors import envelope
from board.http.client_address import client_address
from board.http.documented import Answer, documented
from board.http.route_io import load_body, load_query, ok
from board.http.shapes import Account, Me, NewToken, RevokedAll, SignedOut, Token, UserOut, ValidationError

bp = Blueprint("accounts", __name__)

# What several of these routes answer alike (board.http.documented).
THROTTLED = Answer(
    "Too many failed sign-ins for this username from this address, or from this address for any username,"
    " or too many passwords being checked at once: resend after Retry-After.",
    codes=("too_many_attempts",),
    headers=("Retry-After",),
)
HASHING_BUSY = Answer(
    "Too many passwords being hashed at once: resend after Retry-After.",
    codes=("too_many_attempts",),
    headers=("Retry-After",),
)


def session_cookie() -> dict:
    """The session cookie's attributes. Clearing it takes the same ones: a browser may ignore a
    non-Secure cookie that would overwrite a Secure one."""
    return {"path": "/", "httponly": True, "samesite": "Lax", "secure": current_app.config["BOARD_SECURE_COOKIES"]}


def with_session_cookie(response: Response, secret: str) -> Response:
    max_age = int(sessions.SESSION_LIFETIME.total_seconds())
    response.set_cookie(sessions.COOKIE_NAME, secret, max_age=max_age, **session_cookie())
    return response


@bp.post("/api/session")
@documented(
    "sign_in",
    "Sign in: open a session for the page (sets the session cookie)",
    {
        200: Answer("The account; the session cookie is set.", Account, headers=("Set-Cookie",)),
        401: Answer("Wrong username or password.", codes=("unauthenticated",)),
        429: THROTTLED,
    },
    body=sign_in_in,
    tag="accounts",
)
@public
@metrics.count_sign_in_failures
def sign_in():
    fields = load_body(sign_in_in)
    user, secret = sessions.sign_in(get_engine(), fields["username"], fields["password"], client_address())
    return with_session_cookie(ok(account_out(user)), secret)


@bp.delete("/api/session")
@documented(
    "sign_out", "Sign out: end this session", {200: Answer("Whether a session ended.", SignedOut)}, tag="accounts"
)
@requires("viewer")
def sign_out():
    identity = current_identity()
    if identity.session_id is not None:
        sessions.sign_out(get_engine(), identity.session_id)
    response = ok({"signed_out": identity.session_id is not None})
    response.delete_cookie(sessions.COOKIE_NAME, **session_cookie())
    return response


@bp.get("/api/me")
@documented("get_me", "Who is asking", {200: Answer("The account and its shop.", Me)}, tag="accounts")
@requires("viewer", for_displays=True)
def me():
    identity = current_identity()
    return ok({**account_out(identity), "shop": identity.shop.public()})


@bp.post("/api/me/password")
@documented(
    "change_password",
    "Change one's own password; every session of the account ends, its API tokens do not",
    {
        200: Answer("The account.", Account),
        422: Answer(
            "Invalid fields, or `current_password` is wrong (counted as a failed sign-in).",
            codes=("validation_error",),
            kinds=(ValidationError,),
        ),
        429: THROTTLED,
    },
    body=password_change_in,
    tag="accounts",
)
@requires("viewer", full_credential=True)
@metrics.count_sign_in_failures
def change_password():
    fields = load_body(password_change_in)
    identity = current_identity()
    engine = get_engine()
    user = sessions.change_password(
        engine, identity.username, fields["current_password"], fields["new_password"], client_address()
    )
    response = ok(account_out(user))
    if identity.session_id is not None:
        # Every session of the account ended with the change; this page gets a new one.
        with_session_cookie(response, sessions.open_session(engine, identity.user_id))
    return response


@bp.get("/api/tokens")
@documented(
    "list_tokens",
    "One's API tokens (an admin's: everyone's), newest first, a page at a time",
    {200: Answer("A page of tokens; `next` is the address of the next page, or null.", [Token], paged=True)},
    query=token_page_query,
    tag="tokens",
    description=f"At most {TOKEN_PAGE_MAX} a page; revoked and expired tokens are listed too.",
)
@requires("viewer")
def list_tokens():
    page = load_query(token_page_query)
    identity = current_identity()
    owner = None if identity.role == "admin" else identity.user_id
    rows, more = tokens.token_page(get_engine(), owner, limit=page["limit"], after=page.get("after"))
    # `next` sits beside `data`, which stays the list of tokens that scripts already read.
    next_page = url_for("accounts.list_tokens", after=rows[-1].id, limit=page["limit"]) if more else None
    return envelope({"ok": True, "data": [token_out(row) for row in rows], "next": next_page}, 200)


@bp.post("/api/tokens")
@documented(
    "create_token",
    "Make an API token for a script",
    {
        201: Answer("The token and its secret, shown once.", NewToken),
        409: Answer(
            f"The account already has {tokens.MAX_ACTIVE_TOKENS} active tokens: revoke some first.",
            codes=("too_many_tokens",),
        ),
    },
    body=token_in,
    tag="tokens",
    description=(
        "Its role is at most the caller's: without `role`, a token with the owner's role. "
        f"At most {tokens.MAX_ACTIVE_TOKENS} active (neither revoked nor expired) tokens per account."
    ),
)
@requires("viewer", full_credential=True)
def create_token():
    fields = load_body(token_in)
    identity = current_identity()
    row, secret = tokens.create_token(get_engine(), user_id=identity.user_id, at_most=identity.role, **fields)
    return ok({**token_out(row), "secret": secret}, 201)


@bp.delete("/api/tokens/<row_id:token_id>")
@documented(
    "revoke_token",
    "Revoke an API token",
    {200: Answer("The revoked token.", Token), 404: Answer("No such token of yours.", codes=("not_found",))},
    tag="tokens",
)
@requires("viewer", full_credential=True)
def revoke_token(token_id: int):
    identity = current_identity()
    owner = None if identity.role == "admin" else identity.user_id
    return ok(token_out(tokens.revoke_token(get_engine(), token_id, owner)))


@bp.post("/api/tokens/revoke-all")
@documented(
    "revoke_all_tokens",
    "Revoke every active API token of one's own account (a password change does not)",
    {200: Answer("How many were revoked (a token making this call is among them).", RevokedAll)},
    tag="tokens",
)
@requires("viewer", full_credential=True)
def revoke_all_tokens():
    return ok({"revoked": tokens.revoke_all_tokens(get_engine(), current_identity().user_id)})


@bp.get("/api/users")
@documented("list_users", "Every account", {200: Answer("The accounts.", [UserOut])}, tag="users")
@requires("admin", full_credential=True)
def list_users():
    return ok([user_out(row) for row in users.list_users(get_engine())])


@bp.post("/api/users")
@documented(
    "create_user",
    "Add an account",
    {
        201: Answer("The new account.", UserOut),
        409: Answer("The username is taken (ignoring case).", codes=("username_taken",)),
        429: HASHING_BUSY,
    },
    body=user_in,
    tag="users",
)
@requires("admin", full_credential=True)
def create_user():
    return ok(user_out(users.create_user(get_engine(), **load_body(user_in))), 201)


@bp.patch("/api/users/<row_id:user_id>")
@documented(
    "update_user",
    "Change an account's name, role or password, or disable it",
    {
        200: Answer("The account.", UserOut),
        404: Answer("No such account.", codes=("not_found",)),
        409: Answer("It would leave no active admin.", codes=("last_admin",)),
        429: HASHING_BUSY,
    },
    body=user_patch_in,
    tag="users",
)
@requires("admin", full_credential=True)
def update_user(user_id: int):
    return ok(user_out(users.update_user(get_engine(), user_id, **load_body(user_patch_in))))
