"""Versions as bigint, so a card can be moved far past 2,147,483,647 times.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Nothing: the downgrade fails rather than cut a version short.
DOWNGRADE_LOSES: dict[str, str] = {}


def upgrade() -> None:
    op.alter_column(
        "appointments",
        "version",
        type_=sa.BigInteger(),
        existing_type=sa.Integer(),
        existing_nullable=False,
        existing_server_default="1",
    )
    op.alter_column(
        "appointment_moves", "version", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False
    )


def downgrade() -> None:
    # Fails, changing nothing, if a version has grown past integer's range: it would not fit.
    op.alter_column(
        "appointment_moves", "version", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False
    )
    op.alter_column(
        "appointments",
        "version",
        type_=sa.Integer(),
        existing_type=sa.BigInteger(),
        existing_nullable=False,
        existing_server_default="1",
    )
