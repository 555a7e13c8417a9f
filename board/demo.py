"""Demo appointments for today, so a fresh board is not empty."""

from datetime import datetime, time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from board import appointments
from board.db import get_engine

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
    if appointments.board_cards(engine, today, today, zone):
        return 0
    for clock, title, customer, status in DEMO_CARDS:
        at = datetime.combine(today, time.fromisoformat(clock), tzinfo=zone)
        appointments.create_appointment(engine, title, customer, at, status)
    return len(DEMO_CARDS)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Add demo appointments for today if today's board is empty."""
    added = seed_today(get_engine(), current_app.config["BOARD_ZONEINFO"])
    click.echo(f"Added {added} demo appointments for today." if added else "Today already has appointments.")


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
