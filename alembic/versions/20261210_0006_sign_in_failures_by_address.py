"""Sign-in failures by client address: the throttle counts per (username, address) and per address.

Failures counted before this revision have no address; they are kept under the empty address,
which no client has, so the lockouts they held end at the upgrade (they would within 15 minutes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sign_in_failures", sa.Column("client_address", sa.Text(), nullable=False, server_default=""))
    op.alter_column("sign_in_failures", "client_address", server_default=None)
    op.drop_index(op.f("ix_sign_in_failures_username_key_failed_at"), table_name="sign_in_failures")
    op.create_index(
        op.f("ix_sign_in_failures_username_key_client_address_failed_at"),
        "sign_in_failures",
        ["username_key", "client_address", "failed_at"],
    )
    op.create_index(
        op.f("ix_sign_in_failures_client_address_failed_at"), "sign_in_failures", ["client_address", "failed_at"]
    )
    op.create_index(op.f("ix_sign_in_failures_failed_at"), "sign_in_failures", ["failed_at"])


def downgrade() -> None:
    # Each row keeps its username: the per-username count of before works on them as they are.
    op.drop_index(op.f("ix_sign_in_failures_failed_at"), table_name="sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_client_address_failed_at"), table_name="sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_username_key_client_address_failed_at"), table_name="sign_in_failures")
    op.create_index(
        op.f("ix_sign_in_failures_username_key_failed_at"), "sign_in_failures", ["username_key", "failed_at"]
    )
    op.drop_column("sign_in_failures", "client_address")
