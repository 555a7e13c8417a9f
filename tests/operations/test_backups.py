"""A backup of a board in use restores into an empty database that then serves all of it."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from board.backups import BackupError, backup, restore
from tests.helpers import ROOT

DAY = "2026-12-02"


def create(client, title, hour):
    body = {"title": title, "customer": "Ada", "scheduled_at": f"{DAY}T{hour:02}:00:00+00:00"}
    return client.post("/api/appointments", json=body).get_json()["data"]


def what_it_serves(client, card_ids) -> dict:
    return {
        "board": client.get(f"/api/board?from={DAY}").get_json()["data"],
        "histories": {card_id: client.get(f"/api/appointments/{card_id}/history").get_json() for card_id in card_ids},
        "me": client.get("/api/me").get_json(),
        "tokens": client.get("/api/tokens").get_json(),
    }


def rows(url) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
                for table in ("appointments", "appointment_events", "users", "api_tokens", "alembic_version")
            }
    finally:
        engine.dispose()


def test_backup_restores_into_an_empty_database_that_serves_every_card_event_account_and_token(
    app, client, staff_token, database_url, scratch_database, make_app, client_for, tmp_path
):
    oil, tyres, brakes = (create(client, title, hour) for title, hour in (("Oil", 9), ("Tyres", 10), ("Brakes", 11)))
    assert (
        client.post(f"/api/appointments/{oil['id']}/move", json={"status": "CHECKED_IN", "version": 1}).status_code
        == 200
    )
    assert (
        client.patch(f"/api/appointments/{tyres['id']}", json={"notes": "Winter set", "version": 1}).status_code == 200
    )
    assert client.delete(f"/api/appointments/{brakes['id']}?version=1").status_code == 200
    card_ids = [oil["id"], tyres["id"], brakes["id"]]
    before = what_it_serves(client, card_ids)
    before_rows = rows(database_url)

    dump = backup(database_url, tmp_path / "backups")
    restored = scratch_database()
    restore(restored, dump)

    assert rows(restored) == before_rows
    restored_app = make_app(DATABASE_URL=restored.render_as_string(hide_password=False))
    restored_client = client_for(restored_app, {"Authorization": f"Bearer {staff_token}"})
    assert what_it_serves(restored_client, card_ids) == before
    assert [card["title"] for column in before["board"]["columns"] for card in column["cards"]] == ["Tyres", "Oil"]
    assert [event["kind"] for event in before["histories"][brakes["id"]]["data"]] == ["created", "deleted"]
    assert (
        restored_client.post(f"/api/appointments/{oil['id']}/move", json={"status": "READY", "version": 2}).status_code
        == 200
    )


def board_backups(url, *arguments: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    return subprocess.run(
        [sys.executable, "-m", "board.backups", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_restore_over_a_database_with_rows_refuses_without_confirmation_then_replaces_it(
    app, client, database_url, scratch_database, tmp_path
):
    create(client, "Oil", 9)
    made = board_backups(database_url, "backup", "--to", str(tmp_path))
    assert made.returncode == 0, made.stderr
    dump = made.stdout.strip()
    assert dump.startswith(str(tmp_path / "board-")) and dump.endswith(".dump")
    assert oct(os.stat(dump).st_mode & 0o777) == "0o600"

    target = scratch_database()
    restore(target, Path(dump))
    engine = create_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (shop_id, username, name, role, password_hash) VALUES (1, 'zed', 'Zed', 'viewer', 'x')"
                )
            )
        before = rows(target)

        refused = board_backups(target, "restore", dump)

        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            f"board: Restoring {dump} replaces the database {target.database}, which holds api_tokens (1),"
            f" appointment_events (1), appointments (1), shops (1), users (2). Run `make backup` first to keep it, then"
            f" `make restore FILE={dump} CONFIRM=yes`."
        ]
        assert rows(target) == before

        confirmed = board_backups(target, "restore", dump, "--confirm")
        assert confirmed.returncode == 0, confirmed.stderr
        assert confirmed.stdout == f"Restored {dump} into the database {target.database}.\n"
        assert [user.username for user in rows(target)["users"]] == ["sam"]
    finally:
        engine.dispose()


def test_a_dump_that_fails_to_restore_leaves_the_database_as_it_was(app, client, database_url, tmp_path):
    create(client, "Oil", 9)
    before = rows(database_url)
    broken = tmp_path / "board-broken.dump"
    broken.write_bytes(b"PGDMP not really")

    try:
        restore(database_url, broken, confirmed=True)
    except BackupError as error:
        assert str(error).startswith("pg_restore failed: ")
    else:
        raise AssertionError("a broken dump restored")

    assert rows(database_url) == before
