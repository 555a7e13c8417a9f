"""One history for everything that happens to a card: appointment_events; cards gain notes and soft deletion.

Today's moves become `moved` events, every card gets a `created` event at version 1, and
appointment_moves goes. The downgrade brings appointment_moves back with the move events; the
other events have no place there and are dropped, and so are deleted cards (they were gone).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here rather than imported: a migration must keep meaning what it meant when written.
STATUSES = "'SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'"
KINDS = "'created', 'moved', 'edited', 'deleted'"


# What the downgrade deletes, each counted on the database before it runs (alembic/env.py refuses while any is
# there). Moves survive as appointment_moves; a card's creation time stays on the card itself.
DOWNGRADE_LOSES = {
    "soft-deleted cards": "SELECT count(*) FROM appointments WHERE deleted_at IS NOT NULL",
    "notes on cards": "SELECT count(*) FROM appointments WHERE notes <> ''",
    "card events other than moves": "SELECT count(*) FROM appointment_events WHERE kind <> 'moved'",
}


def upgrade() -> None:
    op.add_column("appointments", sa.Column("notes", sa.Text(), server_default="", nullable=False))
    op.add_column("appointments", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f("ck_appointments_notes_length"), "appointments", "char_length(notes) <= 2000")
    op.create_table(
        "appointment_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=True),
        sa.Column("to_status", sa.Text(), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("by_token_id", sa.BigInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_events_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_appointment_events_by_user_id_users")),
        sa.ForeignKeyConstraint(
            ["by_token_id"], ["api_tokens.id"], name=op.f("fk_appointment_events_by_token_id_api_tokens")
        ),
        sa.UniqueConstraint("appointment_id", "version", name=op.f("uq_appointment_events_appointment_id_version")),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_appointment_events_kind")),
        sa.CheckConstraint(f"from_status IN ({STATUSES})", name=op.f("ck_appointment_events_from_status")),
        sa.CheckConstraint(f"to_status IN ({STATUSES})", name=op.f("ck_appointment_events_to_status")),
        sa.CheckConstraint(
            "kind <> 'moved' OR (from_status IS NOT NULL AND to_status IS NOT NULL)",
            name=op.f("ck_appointment_events_move_has_statuses"),
        ),
    )
    op.execute(
        "INSERT INTO appointment_events (appointment_id, version, kind, at)"
        " SELECT id, 1, 'created', created_at FROM appointments"
    )
    op.execute(
        "INSERT INTO appointment_events"
        " (appointment_id, version, kind, from_status, to_status, by_user_id, by_token_id, at)"
        " SELECT appointment_id, version, 'moved', from_status, to_status, by_user_id, by_token_id, moved_at"
        " FROM appointment_moves ORDER BY id"
    )
    op.drop_table("appointment_moves")


def downgrade() -> None:
    op.create_table(
        "appointment_moves",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("appointment_id", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("moved_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("by_user_id", sa.BigInteger(), nullable=True),
        sa.Column("by_token_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_moves")),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_moves_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], name=op.f("fk_appointment_moves_by_user_id_users")),
        sa.ForeignKeyConstraint(
            ["by_token_id"], ["api_tokens.id"], name=op.f("fk_appointment_moves_by_token_id_api_tokens")
        ),
        sa.UniqueConstraint("appointment_id", "version", name=op.f("uq_appointment_moves_appointment_id_version")),
        sa.CheckConstraint(f"from_status IN ({STATUSES})", name=op.f("ck_appointment_moves_from_status")),
        sa.CheckConstraint(f"to_status IN ({STATUSES})", name=op.f("ck_appointment_moves_to_status")),
    )
    op.execute("DELETE FROM appointments WHERE deleted_at IS NOT NULL")
    op.execute(
        "INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, moved_at, by_user_id, by_token_id)"
        " SELECT appointment_id, from_status, to_status, version, at, by_user_id, by_token_id"
        " FROM appointment_events WHERE kind = 'moved' ORDER BY id"
    )
    op.drop_table("appointment_events")
    op.drop_constraint(op.f("ck_appointments_notes_length"), "appointments", type_="check")
    op.drop_column("appointments", "deleted_at")
    op.drop_column("appointments", "notes")
