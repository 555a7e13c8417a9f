"""A version for each shop's settings, so a board's ETag can name the settings it was built with.

shop_settings.version counts the changes to a shop's row (1 when it is made, +1 at every save);
a shop without a row is at version 0. The board's ETag is built from it and shops.last_seq
without reading the board (board.appointments.board_tag); last_seq numbers the live stream's
events and must not move for a settings change.

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-05
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A counter only: every ETag it went into is simply not matched again after a downgrade.
DOWNGRADE_LOSES: dict[str, str] = {}


def upgrade() -> None:
    op.add_column("shop_settings", sa.Column("version", sa.BigInteger(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("shop_settings", "version")
