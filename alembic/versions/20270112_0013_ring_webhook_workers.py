"""A queued webhook message rings `board_webhooks`, so delivery workers sleep while no endpoint wants anything.

Until now the workers woke at every committed change (`board_changes`, which the live stream
needs) and looked for messages due, at most 20 times a second: with no endpoint at all that was
about 0.2 ms of CPU per change on the server (issue 18). A row trigger on webhook_messages rings
the new channel only when a message is queued, in the change's transaction, so it is delivered
when (and only if) the change commits; the payload is '<shop_id>:<event_seq>', the same for every
endpoint of one change, which PostgreSQL delivers once. A redelivery queues nothing new: workers
find it at their periodic look (board.webhooks.worker.SCAN_EVERY_S), as before.

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-12
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A trigger and its function only: the workers wake at every change again.
DOWNGRADE_LOSES: dict[str, str] = {}


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION board_ring_webhook_workers() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public
AS $$
BEGIN
    PERFORM pg_notify('board_webhooks', NEW.shop_id || ':' || NEW.event_seq);
    RETURN NULL;
END
$$""")
    op.execute("""
CREATE TRIGGER ring_webhook_workers AFTER INSERT ON webhook_messages
FOR EACH ROW EXECUTE FUNCTION board_ring_webhook_workers()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER ring_webhook_workers ON webhook_messages")
    op.execute("DROP FUNCTION board_ring_webhook_workers()")
