"""A card as every answer shows it: in a 200, on the board, and as the current card of a 409."""

from datetime import UTC, datetime


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


def initials(name: str) -> str:
    """A customer as a waiting room may see them: "Ada Lovelace" -> "A. L.", " jean-luc  picard " -> "J. P."."""
    return " ".join(f"{word[0].upper()}." for word in name.split())


def with_customer_initials(card: dict) -> dict:
    """The card with its customer as initials (a deleted card's has none to hide)."""
    return {**card, "customer": initials(card["customer"])} if "customer" in card else card
