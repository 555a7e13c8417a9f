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
