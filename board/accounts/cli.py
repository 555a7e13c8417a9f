"""Operators' commands: `flask --app wsgi users ...` and `flask --app wsgi tokens ...`."""

import sys

import click
from flask import Flask
from flask.cli import AppGroup
from marshmallow import ValidationError

from board.accounts import tokens, users
from board.accounts.schemas import token_in, user_in, user_patch_in
from board.db import acting_for, as_operator, get_engine
from board.errors import BoardError
from board.models import ROLES
from board.shops.shops import list_shops, shop_for_command

ROLE_CHOICE = click.Choice(ROLES)


def read_password(from_stdin: bool) -> str:
    if not from_stdin:
        raise click.UsageError("Give the password on standard input with --password-stdin.")
    # One line: `printf '%s\n' "$PASSWORD" | flask ... --password-stdin` and a here-string both work.
    return sys.stdin.readline().rstrip("\r\n")


def validated(schema, data: dict) -> dict:
    try:
        return schema.load(data)
    except ValidationError as error:
        problems = "; ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.messages.items())
        raise click.ClickException(problems) from None


def fail_on_board_error(action):
    try:
        return action()
    except BoardError as error:
        raise click.ClickException(error.message) from None


class OperatorGroup(AppGroup):
    """Commands that run as the login role (the tables' owner, which sees every shop), not the service's role."""

    def invoke(self, ctx):
        with as_operator():
            return super().invoke(ctx)


def in_shop_of(username: str):
    """Act, from here on in this command, for the shop of the account called `username`."""
    engine = get_engine()
    with engine.begin() as conn:
        user = users.find_user(conn, username)
    if user is None:
        raise click.ClickException(f"No account is called {username!r}.")
    return acting_for(user.shop_id)


users_cli = OperatorGroup("users", help="Manage accounts.")
tokens_cli = OperatorGroup("tokens", help="Manage API tokens for scripts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--name", help="Display name (default: the username).")
@click.option("--shop", "shop_slug", help="The shop's slug (may be left out while there is only one shop).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username, role, name, shop_slug, password_stdin):
    """Add an account to a shop."""
    fields = validated(
        user_in,
        {"username": username, "name": name or username, "role": role, "password": read_password(password_stdin)},
    )
    shop = fail_on_board_error(lambda: shop_for_command(get_engine(), shop_slug))
    with acting_for(shop.id):
        user = fail_on_board_error(lambda: users.create_user(get_engine(), **fields))
    click.echo(f"Created {user.role} {user.username} (id {user.id}) in shop {shop.slug}.")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def set_password_command(username, password_stdin):
    """Give an account a new password (its sessions end)."""
    fields = validated(user_patch_in, {"password": read_password(password_stdin)})
    engine = get_engine()
    with in_shop_of(username):
        fail_on_board_error(lambda: users.update_user(engine, users.user_id_of(engine, username), **fields))
    click.echo(f"New password set for {username}; its sessions were ended.")


@users_cli.command("disable")
@click.argument("username")
def disable_command(username):
    """Disable an account: its sessions and tokens stop working at once."""
    engine = get_engine()
    with in_shop_of(username):
        fail_on_board_error(lambda: users.update_user(engine, users.user_id_of(engine, username), disabled=True))
    click.echo(f"Disabled {username}.")


def shop_slugs(engine) -> dict[int, str]:
    return {shop.id: shop.slug for shop in list_shops(engine)}


# The lists' columns are tab-separated; each row's shop slug comes last, so the columns before it
# keep their places for scripts that read them, and a slug (no tab in it) is always the last field.
@users_cli.command("list")
def list_users_command():
    """List accounts of every shop: id, username, role, state, name, shop."""
    engine = get_engine()
    slugs = shop_slugs(engine)
    for user in users.list_users(engine):
        state = "disabled" if user.disabled else "active"
        click.echo(f"{user.id}\t{user.username}\t{user.role}\t{state}\t{user.name}\t{slugs[user.shop_id]}")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--label", required=True, help="What the token is for, e.g. 'nightly import'.")
@click.option("--role", type=ROLE_CHOICE, help="A lower role than the owner's for this token.")
def create_token_command(username, label, role):
    """Make an API token; the secret is printed once, alone on the last line."""
    engine = get_engine()
    fields = validated(token_in, {"label": label, **({"role": role} if role else {})})
    with in_shop_of(username):
        row, secret = fail_on_board_error(
            lambda: tokens.create_token(engine, user_id=users.user_id_of(engine, username), **fields)
        )
    click.echo(f"Token {row.id} ({row.label}) for {row.owner_username}, role {row.role}. It is shown only now:")
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("username", required=False)
def list_tokens_command(username):
    """List tokens of every shop (of USERNAME only, when given), never their secrets: id, owner, role, state, label, shop."""
    engine = get_engine()
    owner = fail_on_board_error(lambda: users.user_id_of(engine, username)) if username else None
    slugs = shop_slugs(engine)
    for token in tokens.list_tokens(engine, owner):
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.owner_username}\t{token.role}\t{state}\t{token.label}\t{slugs[token.shop_id]}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**63 - 1))
def revoke_token_command(token_id):
    """Revoke a token: it is refused from the next request on."""
    token = fail_on_board_error(lambda: tokens.revoke_token(get_engine(), token_id))
    click.echo(f"Revoked token {token.id} ({token.label}) of {token.owner_username}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
