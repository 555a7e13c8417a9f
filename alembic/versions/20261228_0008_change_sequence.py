"""A per-shop change sequence in commit order, each event's card at its version, and status_since.

shops.last_seq counts a shop's changes. The change statement itself adds one to it (only when
its UPDATE or INSERT matched) and stamps the event with the number: the shop's row stays locked
until the change commits, so the shop's changes commit in sequence order and no number is
skipped or taken by a transaction that rolls back. Existing events are numbered per shop in
(at, id) order; their `card` stays NULL (the card at those versions was never recorded), so
replay begins after them.

appointments.status_since is when the card entered its status: the latest move into it, or its
creation.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# seq, last_seq and status_since are derived again by the upgrade; the cards at their versions are not.
DOWNGRADE_LOSES = {
    "events' cards at their versions (the live stream's replay)": "SELECT count(card) FROM appointment_events"
}


def upgrade() -> None:
    op.add_column("shops", sa.Column("last_seq", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("appointment_events", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("appointment_events", sa.Column("card", JSONB(), nullable=True))
    op.execute("""
        UPDATE appointment_events e SET seq = numbered.n
        FROM (SELECT shop_id, id, row_number() OVER (PARTITION BY shop_id ORDER BY at, id) AS n
              FROM appointment_events) AS numbered
        WHERE e.shop_id = numbered.shop_id AND e.id = numbered.id""")
    op.execute("""
        UPDATE shops s SET last_seq = coalesce((SELECT max(seq) FROM appointment_events e WHERE e.shop_id = s.id), 0)""")
    op.alter_column("appointment_events", "seq", nullable=False)
    # Serves the stream's replay: one shop's events after n, in order.
    op.create_unique_constraint(op.f("uq_appointment_events_shop_id_seq"), "appointment_events", ["shop_id", "seq"])

    op.add_column(
        "appointments",
        sa.Column("status_since", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=True),
    )
    op.execute("""
        UPDATE appointments a SET status_since = coalesce(
            (SELECT max(e.at) FROM appointment_events e
             WHERE e.shop_id = a.shop_id AND e.appointment_id = a.id AND e.kind = 'moved'
               AND e.to_status = a.status AND e.from_status <> e.to_status),
            a.created_at)""")
    op.alter_column("appointments", "status_since", nullable=False)


def downgrade() -> None:
    op.drop_column("appointments", "status_since")
    op.drop_constraint(op.f("uq_appointment_events_shop_id_seq"), "appointment_events", type_="unique")
    op.drop_column("appointment_events", "card")
    op.drop_column("appointment_events", "seq")
    op.drop_column("shops", "last_seq")
