"""The permission check, in one place: which role each route needs, checked before its use case runs.

A route says what it needs beside its URL (`@requires("staff")`, or `@public`); routes that make
or end credentials or manage people also say `full_credential=True`: a token limited to a lower
role than its owner's is refused there, so a leaked wall-screen token never leads to more than
it is. A wall display's credential (board.shops.displays) reads only the routes that say
`for_displays=True`, the ones its page needs: not single cards, their history, or tokens. `check_request`
runs before every view, so a refused request touches the database only to look up its
credential, never inside a use case's transaction or its retry.
"""

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from werkzeug.exceptions import SecurityError

from board.accounts.identity import Identity, identity_from_session, identity_from_token
from board.accounts.roles import at_least
from board.accounts.sessions import COOKIE_NAME
from board.db import get_engine
from board.errors import Forbidden, Unauthenticated
from board.shops import displays

PROTECTED_PREFIXES = ("/api/", "/metrics")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC = "public"


def requires(role: str, *, full_credential: bool = False, for_displays: bool = False) -> Callable:
    """Mark a view as needing at least `role` (and, with full_credential, not a token limited below its owner);
    only views marked `for_displays` answer a wall display."""

    def mark(view: Callable) -> Callable:
        view.required_role = role
        view.needs_full_credential = full_credential
        view.for_displays = for_displays
        return view

    return mark


def public(view: Callable) -> Callable:
    """Mark a view under /api as open to anyone (signing in)."""
    view.required_role = PUBLIC
    return view


def current_identity() -> Identity:
    return g.identity


def check_request() -> None:
    """Authenticate /api and /metrics requests and check the route's role; refuse cross-site cookie writes."""
    if not request.path.startswith(PROTECTED_PREFIXES):
        return
    if isinstance(request.routing_exception, SecurityError):
        # A Host outside BOARD_ALLOWED_HOSTS is refused whoever asks, before any credential is looked up.
        raise request.routing_exception
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    needed = getattr(view, "required_role", None)
    if needed == PUBLIC:
        if request.method in WRITE_METHODS and request.headers.get("Origin") is not None:
            refuse_foreign_origin()
        return
    identity = authenticate()
    if identity is None:
        raise Unauthenticated()
    g.identity = identity
    # Every transaction of this request acts for the credential's shop (board.db), and for no other.
    g.board_shop_id = identity.shop.id
    # A cookie (a person's session, a display's) rides along on any request the browser sends.
    if request.headers.get("Authorization") is None and request.method in WRITE_METHODS:
        refuse_foreign_origin()
    # A path or method that matches no view is answered by its 404 or 405, now that the caller is known.
    if needed is not None and not at_least(identity.role, needed):
        raise Forbidden(f"Your role ({identity.role}) does not allow this; it needs {needed} or above.")
    if getattr(view, "needs_full_credential", False) and identity.below_its_owner:
        raise Forbidden(
            f"This token is limited to a lower role than its owner's ({identity.role}, not {identity.owner_role}):"
            " it cannot create or revoke tokens, change the password or manage people. Sign in, or use a token"
            " with its owner's full role."
        )
    if view is not None and identity.is_display and not getattr(view, "for_displays", False):
        raise Forbidden("A wall display reads only the board, its settings and its live changes.")


def authenticate() -> Identity | None:
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return identity_from_token(get_engine(), secret.strip())
    cookie = request.cookies.get(COOKIE_NAME)
    identity = identity_from_session(get_engine(), cookie) if cookie else None
    display_cookie = request.cookies.get(displays.COOKIE_NAME)
    if identity is None and display_cookie:
        identity = displays.identity_from_display(get_engine(), display_cookie)
    return identity


def own_origin() -> str:
    """BOARD_PUBLIC_URL's scheme and host when set, else the request's own."""
    public_url = current_app.config.get("BOARD_PUBLIC_URL")
    if public_url:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    return f"{request.scheme}://{request.host}".lower()


def refuse_foreign_origin() -> None:
    """Django's rule for cookie-carrying writes: the Origin must be our own (a missing one is refused)."""
    origin = request.headers.get("Origin")
    if origin is None or origin.rstrip("/").lower() != own_origin():
        raise Forbidden("This write did not come from the board's own page (its Origin is not the board's).")


def unmarked_routes(app: Flask) -> list[str]:
    """Routes under /api or /metrics that say nothing about who may call them."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PROTECTED_PREFIXES)
        and getattr(app.view_functions[rule.endpoint], "required_role", None) is None
    )


def init_app(app: Flask) -> None:
    app.before_request(check_request)
    missing = unmarked_routes(app)
    if missing:
        raise RuntimeError(f"routes with no @requires or @public: {missing}")
