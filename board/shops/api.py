"""Routes for the shop's own settings (waiting limits, initials on displays) and its wall displays."""

from flask import Blueprint, current_app

from board.accounts.permissions import current_identity, public, requires
from board.db import get_engine
from board.http.documented import Answer, documented
from board.http.route_io import load_body, ok
from board.http.shapes import DisplayOut, DisplaySettings, Limits, NewDisplay, Paired
from board.shops import displays, limits
from board.shops.schemas import (
    display_in,
    display_out,
    display_settings_in,
    display_settings_out,
    limits_in,
    limits_out,
    pair_in,
)

bp = Blueprint("shops", __name__)


@bp.get("/api/shop/limits")
@documented(
    "get_limits",
    "How long a card may wait in each status before it is late",
    {200: Answer("Every status with its limit in minutes, or null for none.", Limits)},
    tag="shop",
)
@requires("viewer", for_displays=True)
def get_limits():
    return ok(limits_out(limits.get_settings(get_engine())))


@bp.put("/api/shop/limits")
@documented(
    "set_limits",
    "Set how long a card may wait in each status before it is late (replaces every limit)",
    {200: Answer("Every status with its limit in minutes, or null for none.", Limits)},
    body=limits_in,
    tag="shop",
    description=f"Minutes from 1 to {limits.LIMIT_MAX_MINUTES}; a status absent or null has no limit.",
)
@requires("admin", full_credential=True)
def set_limits():
    return ok(limits_out(limits.set_limits(get_engine(), load_body(limits_in)["limits"])))


@bp.get("/api/shop/display")
@documented(
    "get_display_settings",
    "How wall displays show the board",
    {200: Answer("The display settings.", DisplaySettings)},
    tag="shop",
)
@requires("viewer", for_displays=True)
def get_display_settings():
    return ok(display_settings_out(limits.get_settings(get_engine())))


@bp.put("/api/shop/display")
@documented(
    "set_display_settings",
    "Set how wall displays show the board",
    {200: Answer("The display settings.", DisplaySettings)},
    body=display_settings_in,
    tag="shop",
)
@requires("admin", full_credential=True)
def set_display_settings():
    initials = load_body(display_settings_in)["initials"]
    return ok(display_settings_out(limits.set_display_initials(get_engine(), initials)))


@bp.get("/api/displays")
@documented("list_displays", "The shop's wall displays", {200: Answer("The displays.", [DisplayOut])}, tag="displays")
@requires("admin", full_credential=True)
def list_displays():
    return ok([display_out(row) for row in displays.list_displays(get_engine())])


@bp.post("/api/displays")
@documented(
    "create_display",
    "Make a wall display: a viewer credential for one screen, paired by a link shown once",
    {
        201: Answer("The display, its pairing code and the link to open on the screen.", NewDisplay),
        409: Answer(f"The shop already has {displays.MAX_DISPLAYS} displays.", codes=("too_many_displays",)),
    },
    body=display_in,
    tag="displays",
    description=(
        f"Open the link on the screen within {int(displays.PAIRING_LIFETIME.total_seconds() // 60)} minutes;"
        " it pairs one screen, once."
    ),
)
@requires("admin", full_credential=True)
def create_display():
    name = load_body(display_in)["name"]
    row, code = displays.create_display(get_engine(), name, current_identity().user_id)
    return ok({**display_out(row), "code": code, "link": f"/display#{code}"}, 201)


@bp.delete("/api/displays/<row_id:display_id>")
@documented(
    "revoke_display",
    "Revoke a wall display: its screen is signed out on its next request",
    {200: Answer("The revoked display.", DisplayOut), 404: Answer("No such display.", codes=("not_found",))},
    tag="displays",
)
@requires("admin", full_credential=True)
def revoke_display(display_id: int):
    return ok(display_out(displays.revoke_display(get_engine(), display_id)))


@bp.post("/api/displays/pair")
@documented(
    "pair_display",
    "Sign a screen in as a display, with the code from its link (sets the display's cookie)",
    {
        200: Answer("Paired; the display's cookie is set.", Paired, headers=("Set-Cookie",)),
        401: Answer("The code is unknown, used already or expired.", codes=("unauthenticated",)),
    },
    body=pair_in,
    tag="displays",
)
@public
def pair_display():
    secret = displays.pair(get_engine(), load_body(pair_in)["code"])
    response = ok({"paired": True})
    response.set_cookie(
        displays.COOKIE_NAME,
        secret,
        max_age=int(displays.COOKIE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=current_app.config["BOARD_SECURE_COOKIES"],
    )
    return response
