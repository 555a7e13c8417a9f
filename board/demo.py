"""A fresh board that is ready to try: demo cards for today and a first admin, on the embedded database only."""

import os
import secrets
from datetime import datetime, time
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from board.accounts import users
from board.appointments import cards
from board.db import acting_for, as_operator, get_engine
from board.errors import NotFound
from board.retry import RetryPolicy
from board.serving import DEFAULT_BIND, ServingError, bind_address
from board.shops.shops import shop_for_command

# The shop the migration that adds shops makes: the demo's cards and first admin go there.
FIRST_SHOP = "main"

DEMO_CARDS = (
    ("08:30", "Oil change", "Ada Lovelace", "COMPLETED"),
    ("09:00", "Brake inspection", "Grace Hopper", "READY"),
    ("09:45", "Tyre swap", "Alan Turing", "IN_PROGRESS"),
    ("10:30", "Battery check", "Katherine Johnson", "CHECKED_IN"),
    ("11:15", "Annual service", "Edsger Dijkstra", "SCHEDULED"),
    ("13:00", "Windscreen repair", "Barbara Liskov", "SCHEDULED"),
    ("14:30", "Air conditioning", "Donald Knuth", "SCHEDULED"),
    ("16:00", "Wheel alignment", "Margaret Hamilton", "CANCELLED"),
)


def seed_today(engine, zone) -> int:
    """Add the demo cards for today unless today already has cards; return how many were added."""
    today = datetime.now(zone).date()
    if cards.cards_on_days(engine, today, today, zone):
        return 0
    for clock, title, customer, status in DEMO_CARDS:
        at = datetime.combine(today, time.fromisoformat(clock), tzinfo=zone)
        fields = {"title": title, "customer": customer, "scheduled_at": at, "notes": "", "status": status}
        cards.create_appointment(engine, RetryPolicy(), fields, cards.NOBODY)
    return len(DEMO_CARDS)


def create_first_admin(engine) -> str | None:
    """Make an `admin` account with a random password when there are no accounts; return the password."""
    if users.count_users(engine):
        return None
    password = secrets.token_urlsafe(12)
    users.create_user(engine, username="admin", name="Admin", role="admin", password=password)
    return password


# A server bound to every interface is reached on this machine at its loopback address.
LOOPBACK_FOR_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def board_address() -> str:
    """Where to sign in: BOARD_PUBLIC_URL when set, else the address `make run` serves on (BOARD_BIND)."""
    if current_app.config["BOARD_PUBLIC_URL"]:
        return current_app.config["BOARD_PUBLIC_URL"]
    try:
        host, port = bind_address(os.environ.get("BOARD_BIND") or DEFAULT_BIND)
    except ServingError as error:
        raise click.ClickException(str(error)) from None
    host = LOOPBACK_FOR_WILDCARD.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Add the demo cards to DATABASE_URL's database too (make demo).")
@with_appcontext
def seed_demo_command(force):
    """On the embedded database: demo cards for today, and a first admin when there is no account."""
    engine = get_engine()
    if not current_app.config["BOARD_EMBEDDED_DATABASE"] and not force:
        click.echo(
            "DATABASE_URL is set: no demo cards and no first admin added (use `make demo` for demo cards, "
            "and `flask --app wsgi users create` for accounts)."
        )
        return
    with as_operator():
        try:
            shop = shop_for_command(engine, FIRST_SHOP)
        except NotFound:
            raise click.ClickException(
                f"There is no shop {FIRST_SHOP!r} for the demo: make it with"
                f" `flask --app wsgi shops create {FIRST_SHOP} --name NAME`, then run this again."
            ) from None
        with acting_for(shop.id):
            added = seed_today(engine, ZoneInfo(shop.timezone))
            click.echo(f"Added {added} demo appointments for today." if added else "Today already has appointments.")
            if current_app.config["BOARD_EMBEDDED_DATABASE"]:
                password = create_first_admin(engine)
                if password is not None:
                    click.echo(f"Sign in at {board_address()} as admin with password {password}")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
