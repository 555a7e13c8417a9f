"""The webhook queue as the tests read it, and a card made through the API (so its event is queued)."""

from sqlalchemy import select

from board.models import WebhookAttempt, WebhookMessage

PUBLIC_URL = "http://board.example"


def messages(engine, **where) -> list:
    with engine.begin() as conn:
        statement = select(WebhookMessage).order_by(WebhookMessage.id)
        for name, value in where.items():
            statement = statement.where(getattr(WebhookMessage, name) == value)
        return conn.execute(statement).all()


def attempts(engine, message_id: int) -> list:
    with engine.begin() as conn:
        return conn.execute(
            select(WebhookAttempt).where(WebhookAttempt.message_id == message_id).order_by(WebhookAttempt.id)
        ).all()


def new_card(client, title: str = "Oil change", hour: int = 9) -> dict:
    answer = client.post(
        "/api/appointments",
        json={"title": title, "customer": "Ada Lovelace", "scheduled_at": f"2026-03-10T{hour:02}:00:00+00:00"},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["data"]
