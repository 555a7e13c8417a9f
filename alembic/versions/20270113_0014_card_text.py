"""Each card keeps its own JSON text, written with the card, so a board of 31 days is read rather than built.

GET /api/board for 31 days (9,300 cards) spent about 25 ms of PostgreSQL's time turning each
row into JSON text (issue 18: p95 under 30 ms). A BEFORE INSERT OR UPDATE trigger now writes the
card's text into the row as it is written, in card_json.card_out's shape and order, in three
pieces around the customer (a wall display may show initials instead) and the notes (kept once:
a second copy of long notes pushed rows past TOAST's threshold, and every read paid to decompress
them): card_head is '{"id":..,"title":..,"customer":', card_mid ',"scheduled_at":"..","notes":'
and card_tail ',"status":..,"status_since":"..","late":'. The board adds the customer, the notes,
whether the card is late, and '}' (board.appointments.cards). Every write of a card runs the
trigger, so the text cannot fall behind the row; the existing rows are written once here.

Times as Python's isoformat in UTC (card_json.utc_iso): microseconds only when there are some.
to_json of a timestamp trims a fraction's trailing zeros ("...:00.7350"), so a shortened fraction
is padded back to six digits; the common lengths (no fraction, six digits) take one call.

No SET search_path: the function runs in every change, and a per-call setting costs more than the
function; it names only built-in functions, resolved in pg_catalog before any other schema.

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-13
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The text is made from the row itself: nothing is lost without it.
DOWNGRADE_LOSES: dict[str, str] = {}


def iso(name: str) -> str:
    """The time in variable `name` (to_json's text) as card_json.utc_iso writes it, less its offset."""
    return (
        f"CASE octet_length({name}) WHEN 28 THEN left({name}, 27) WHEN 21 THEN left({name}, 20)"
        f" ELSE rpad(left({name}, -1), 27, '0') END"
    )


CARD_TEXT = f"""
CREATE FUNCTION board_card_text() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    scheduled text := to_json(NEW.scheduled_at AT TIME ZONE INTERVAL '0')::text;
    updated text := to_json(NEW.updated_at AT TIME ZONE INTERVAL '0')::text;
    since text := to_json(NEW.status_since AT TIME ZONE INTERVAL '0')::text;
BEGIN
    NEW.card_head := concat('{{"id":', NEW.id, ',"title":', to_json(NEW.title), ',"customer":');
    NEW.card_mid := concat(',"scheduled_at":', {iso("scheduled")}, '+00:00","notes":');
    NEW.card_tail := concat(
        ',"status":"', NEW.status,
        '","version":', NEW.version,
        ',"updated_at":', {iso("updated")},
        '+00:00","status_since":', {iso("since")},
        '+00:00","late":');
    RETURN NEW;
END
$$"""


def upgrade() -> None:
    op.add_column("appointments", sa.Column("card_head", sa.Text(), nullable=True))
    op.add_column("appointments", sa.Column("card_mid", sa.Text(), nullable=True))
    op.add_column("appointments", sa.Column("card_tail", sa.Text(), nullable=True))
    op.execute(CARD_TEXT)
    op.execute("""
CREATE TRIGGER card_text BEFORE INSERT OR UPDATE ON appointments
FOR EACH ROW EXECUTE FUNCTION board_card_text()""")
    op.execute("UPDATE appointments SET title = title")
    op.alter_column("appointments", "card_head", nullable=False)
    op.alter_column("appointments", "card_mid", nullable=False)
    op.alter_column("appointments", "card_tail", nullable=False)


def downgrade() -> None:
    op.execute("DROP TRIGGER card_text ON appointments")
    op.execute("DROP FUNCTION board_card_text()")
    op.drop_column("appointments", "card_tail")
    op.drop_column("appointments", "card_mid")
    op.drop_column("appointments", "card_head")
