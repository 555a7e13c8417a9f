"""Operators' commands: `flask --app wsgi shops ...`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from board.db import as_operator, get_engine
from board.errors import BoardError, ValidationFailed
from board.shops import shops

shops_cli = AppGroup("shops", help="Manage shops.")


def fail_on_board_error(action):
    try:
        return action()
    except ValidationFailed as error:
        problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.details["details"].items())
        raise click.ClickException(problems) from None
    except BoardError as error:
        raise click.ClickException(error.message) from None


@shops_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The shop's display name.")
@click.option("--timezone", help="IANA zone its board days are in (default: BOARD_TIMEZONE).")
def create_shop_command(slug, name, timezone):
    """Add a shop."""
    zone = timezone or current_app.config["BOARD_TIMEZONE"]
    with as_operator():
        shop = fail_on_board_error(lambda: shops.create_shop(get_engine(), slug=slug, name=name, timezone=zone))
    click.echo(f"Created shop {shop.slug} ({shop.name}, {shop.timezone}, id {shop.id}).")


@shops_cli.command("list")
def list_shops_command():
    """List shops: id, slug, time zone, name (tab-separated)."""
    with as_operator():
        for shop in shops.list_shops(get_engine()):
            click.echo(f"{shop.id}\t{shop.slug}\t{shop.timezone}\t{shop.name}")


def init_app(app: Flask) -> None:
    app.cli.add_command(shops_cli)
