-- The move transaction for pgbench, as the service runs it: read the card (its own
-- statement, like GET /api/appointments/<id>), then the one-statement move from
-- board/moves.py: conditional UPDATE ... RETURNING and the history row.
-- Variables: first_id, cards (set with pgbench -D).
\set id random(:first_id, :first_id + :cards - 1)
\set to random(1, 6)
SELECT id, title, customer, scheduled_at, status, version, updated_at FROM appointments WHERE id = :id \gset
WITH previous AS (
    SELECT appointments.id AS id, appointments.status AS status FROM appointments WHERE appointments.id = :id
), moved AS (
    UPDATE appointments
    SET status = (ARRAY['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'])[:to],
        version = appointments.version + 1,
        updated_at = now()
    FROM previous
    WHERE appointments.id = previous.id AND appointments.version = :version
    RETURNING appointments.id, appointments.title, appointments.customer, appointments.scheduled_at,
              appointments.status, appointments.version, appointments.updated_at, previous.status AS from_status
), history AS (
    INSERT INTO appointment_moves (appointment_id, from_status, to_status, version, moved_at)
    SELECT moved.id, moved.from_status, moved.status, moved.version, moved.updated_at FROM moved
)
SELECT moved.id, moved.title, moved.customer, moved.scheduled_at, moved.status, moved.version, moved.updated_at FROM moved;
