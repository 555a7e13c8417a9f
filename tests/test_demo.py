"""Demo cards make a fresh board worth looking at, and are added only once."""

from board.models import STATUSES


def test_seed_demo_fills_todays_board_once(app, client):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert "Added 8 demo appointments" in first.output
    assert "already has appointments" in second.output
    columns = client.get("/api/board").get_json()["data"]["columns"]
    cards = [card for column in columns for card in column["cards"]]
    assert len(cards) == 8
    assert {column["status"] for column in columns if column["cards"]} == set(STATUSES)
