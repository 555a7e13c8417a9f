"""A card as every answer shows it: in a 200, on the board, and as the current card of a 409."""

from datetime import UTC, datetime
from types import SimpleNamespace


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def card_out(row) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "customer": row.customer,
        "scheduled_at": utc_iso(row.scheduled_at),
        "notes": row.notes,
        "status": row.status,
        "version": row.version,
        "updated_at": utc_iso(row.updated_at),
        "status_since": utc_iso(row.status_since),
    }


def card_from_snapshot(snapshot: dict) -> dict:
    """An event's card (appointment_events.card: times in UTC without an offset) as card_out shows it."""
    card = dict(snapshot)
    for name in ("scheduled_at", "updated_at", "status_since"):
        card[name] = datetime.fromisoformat(card[name]).replace(tzinfo=UTC)
    return card_out(SimpleNamespace(**card))


def initials(name: str) -> str:
    """A customer as a waiting room may see them: "Ada Lovelace" -> "A. L.", " jean-luc  picard " -> "J. P."."""
    return " ".join(f"{word[0].upper()}." for word in name.split())


def with_customer_initials(card: dict) -> dict:
    """The card with its customer as initials (a deleted card's has none to hide)."""
    return {**card, "customer": initials(card["customer"])} if "customer" in card else card
