"""Routes for signing in and out, one's own account, API tokens, and (admins) people."""

from flask import Blueprint, Response, current_app, url_for

from board import metrics
from board.accounts import sessions, tokens, users
from board.accounts.permissions import current_identity, public, requires
from board.accounts.schemas import (
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
from board.http.route_io import load_body, load_query, ok

bp = Blueprint("accounts", __name__)


def session_cookie() -> dict:
    """The session cookie's attributes. Clearing it takes the same ones: a browser may ignore a
    non-Secure cookie that would overwrite a Secure one."""
    return {"path": "/", "httponly": True, "samesite": "Lax", "secure": current_app.config["BOARD_SECURE_COOKIES"]}


def with_session_cookie(response: Response, secret: str) -> Response:
    max_age = int(sessions.SESSION_LIFETIME.total_seconds())
    response.set_cookie(sessions.COOKIE_NAME, secret, max_age=max_age, **session_cookie())
    return response


@bp.post("/api/session")
@public
@metrics.count_sign_in_failures
def sign_in():
    fields = load_body(sign_in_in)
    user, secret = sessions.sign_in(get_engine(), fields["username"], fields["password"], client_address())
    return with_session_cookie(ok(account_out(user)), secret)


@bp.delete("/api/session")
@requires("viewer")
def sign_out():
    identity = current_identity()
    if identity.session_id is not None:
        sessions.sign_out(get_engine(), identity.session_id)
    response = ok({"signed_out": identity.session_id is not None})
    response.delete_cookie(sessions.COOKIE_NAME, **session_cookie())
    return response


@bp.get("/api/me")
@requires("viewer")
def me():
    return ok(account_out(current_identity()))


@bp.post("/api/me/password")
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
@requires("viewer", full_credential=True)
def create_token():
    fields = load_body(token_in)
    identity = current_identity()
    row, secret = tokens.create_token(get_engine(), user_id=identity.user_id, at_most=identity.role, **fields)
    return ok({**token_out(row), "secret": secret}, 201)


@bp.delete("/api/tokens/<row_id:token_id>")
@requires("viewer", full_credential=True)
def revoke_token(token_id: int):
    identity = current_identity()
    owner = None if identity.role == "admin" else identity.user_id
    return ok(token_out(tokens.revoke_token(get_engine(), token_id, owner)))


@bp.post("/api/tokens/revoke-all")
@requires("viewer", full_credential=True)
def revoke_all_tokens():
    return ok({"revoked": tokens.revoke_all_tokens(get_engine(), current_identity().user_id)})


@bp.get("/api/users")
@requires("admin", full_credential=True)
def list_users():
    return ok([user_out(row) for row in users.list_users(get_engine())])


@bp.post("/api/users")
@requires("admin", full_credential=True)
def create_user():
    return ok(user_out(users.create_user(get_engine(), **load_body(user_in))), 201)


@bp.patch("/api/users/<row_id:user_id>")
@requires("admin", full_credential=True)
def update_user(user_id: int):
    return ok(user_out(users.update_user(get_engine(), user_id, **load_body(user_patch_in))))
