"""The operators' commands for accounts and tokens, exactly as the README shows them."""

from sqlalchemy import text

from board.accounts.passwords import verify_password
from tests.factories import UserFactory


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=list(args), input=stdin)


def test_users_create_reads_the_password_from_stdin_and_refuses_duplicates_and_short_ones(app, engine):
    made = run(
        app,
        "users",
        "create",
        "Ana",
        "--role",
        "admin",
        "--name",
        "Ana K",
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    again = run(app, "users", "create", "ana", "--role", "staff", "--password-stdin", stdin="another passphrase\n")
    short = run(app, "users", "create", "bo", "--role", "staff", "--password-stdin", stdin="short\n")
    no_stdin = run(app, "users", "create", "cy", "--role", "staff")

    assert made.exit_code == 0, made.output
    assert again.exit_code != 0 and "already has this username" in again.output
    assert short.exit_code != 0 and "password" in short.output
    assert no_stdin.exit_code != 0 and "--password-stdin" in no_stdin.output
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT username, name, role, password_hash FROM users WHERE username <> 'sam'")).all()
    assert [row[:3] for row in rows] == [("Ana", "Ana K", "admin")]
    assert verify_password(rows[0].password_hash, "a long passphrase")
    assert "a long passphrase" not in made.output


def test_set_password_disable_and_list(app, engine, staff):
    user = UserFactory(username="bo", role="staff")

    changed = run(app, "users", "set-password", "bo", "--password-stdin", stdin="a brand new one\n")
    disabled = run(app, "users", "disable", "BO")
    listed = run(app, "users", "list")
    unknown = run(app, "users", "disable", "nobody")

    assert changed.exit_code == 0 and disabled.exit_code == 0
    with engine.connect() as conn:
        password_hash, is_disabled = conn.execute(
            text("SELECT password_hash, disabled FROM users WHERE id = :id"), {"id": user.id}
        ).one()
    assert verify_password(password_hash, "a brand new one") and is_disabled
    assert "bo\tstaff\tdisabled" in listed.output and "sam\tstaff\tactive" in listed.output
    assert all(line.endswith("\tmain") for line in listed.output.splitlines()), "each row's shop comes last"
    assert unknown.exit_code != 0 and "nobody" in unknown.output


def test_tokens_create_prints_the_secret_alone_on_the_last_line_once(app, anonymous, staff):
    made = run(app, "tokens", "create", "sam", "--label", "nightly import", "--role", "viewer")
    listed = run(app, "tokens", "list", "sam")

    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert secret.startswith("board_") and " " not in secret
    assert (
        anonymous.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["data"]["role"] == "viewer"
    )
    assert "nightly import" in listed.output and secret not in listed.output
    assert secret.removeprefix("board_")[:12] not in listed.output


def test_tokens_revoke_refuses_the_token_at_once(app, anonymous, staff):
    made = run(app, "tokens", "create", "sam", "--label", "to revoke")
    secret = made.output.strip().splitlines()[-1]
    token_id = next(
        line.split("\t")[0] for line in run(app, "tokens", "list").output.splitlines() if "to revoke" in line
    )

    revoked = run(app, "tokens", "revoke", token_id)
    listed = run(app, "tokens", "list")

    assert revoked.exit_code == 0, revoked.output
    assert anonymous.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert f"{token_id}\tsam\tstaff\trevoked\tto revoke\tmain" in listed.output
