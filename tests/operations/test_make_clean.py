"""make clean removes what can be rebuilt; the embedded database goes only with make clean-data CONFIRM=yes."""

import subprocess

from tests.helpers import ROOT


def make(folder, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "-C", str(folder), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def a_checkout(tmp_path):
    (tmp_path / "instance" / "pgdata").mkdir(parents=True)
    (tmp_path / "instance" / "pgdata" / "PG_VERSION").write_text("18\n")
    (tmp_path / ".pytest_cache").mkdir()
    (tmp_path / "board" / "__pycache__").mkdir(parents=True)
    return tmp_path


def test_make_clean_keeps_the_embedded_database(tmp_path):
    checkout = a_checkout(tmp_path)

    done = make(checkout, "clean")

    assert done.returncode == 0, done.stderr
    assert (checkout / "instance" / "pgdata" / "PG_VERSION").exists()
    assert not (checkout / ".pytest_cache").exists() and not (checkout / "board" / "__pycache__").exists()


def test_make_clean_data_says_what_it_deletes_and_needs_confirmation(tmp_path):
    checkout = a_checkout(tmp_path)

    refused = make(checkout, "clean-data")

    assert refused.returncode != 0
    assert refused.stderr.splitlines()[0] == (
        "make clean-data deletes instance/ (the embedded database: every card, event, account and token)."
        " Run `make backup` first to keep them, then `make clean-data CONFIRM=yes`."
    )
    assert (checkout / "instance" / "pgdata" / "PG_VERSION").exists()

    confirmed = make(checkout, "clean-data", "CONFIRM=yes")

    assert confirmed.returncode == 0, confirmed.stderr
    assert not (checkout / "instance").exists()
