-- The move transaction for pgbench, as the service runs it: read the card (its own
-- statement, like GET /api/appointments/<id>), then the one-statement move from
-- board/appointments/changes.py: conditional UPDATE ... RETURNING and its event.
-- Variables: first_id, cards (set with pgbench -D).
\set id random(:first_id, :first_id + :cards - 1)
\set to random(1, 6)
SELECT id, title, customer, scheduled_at, notes, status, version, updated_at FROM appointments
WHERE id = :id AND deleted_at IS NULL \gset
WITH previous AS (
    SELECT appointments.id AS id, appointments.status AS status FROM appointments WHERE appointments.id = :id
), changed AS (
    UPDATE appointments
    SET status = (ARRAY['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'])[:to],
        version = appointments.version + 1,
        updated_at = now()
    FROM previous
    WHERE appointments.id = previous.id AND appointments.version = :version
      AND appointments.deleted_at IS NULL AND appointments.version < 9223372036854775807
    RETURNING appointments.id, appointments.title, appointments.customer, appointments.scheduled_at,
              appointments.notes, appointments.status, appointments.version, appointments.updated_at,
              previous.status AS old_status
), event AS (
    INSERT INTO appointment_events (appointment_id, version, kind, at, from_status, to_status)
    SELECT changed.id, changed.version, 'moved', changed.updated_at, changed.old_status, changed.status FROM changed
)
SELECT changed.id, changed.title, changed.customer, changed.scheduled_at, changed.notes, changed.status,
       changed.version, changed.updated_at FROM changed;
