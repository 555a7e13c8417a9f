-- The move transaction for pgbench, as the service runs it: read the card (its own
-- statement, like GET /api/appointments/<id>), then the one-statement move from
-- board/appointments/changes.py: conditional UPDATE ... RETURNING, the shop's next seq (its row
-- locked until commit) with the NOTIFY, and the event with the card at its version.
-- Variables: first_id, cards (set with pgbench -D).
\set id random(:first_id, :first_id + :cards - 1)
\set to random(1, 6)
SELECT id, title, customer, scheduled_at, notes, status, version, updated_at, status_since FROM appointments
WHERE id = :id AND deleted_at IS NULL \gset
WITH previous AS (
    SELECT appointments.id AS id, appointments.status AS status FROM appointments WHERE appointments.id = :id
), changed AS (
    UPDATE appointments
    SET status = (ARRAY['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY', 'COMPLETED', 'CANCELLED'])[:to],
        status_since = CASE WHEN appointments.status = (ARRAY['SCHEDULED', 'CHECKED_IN', 'IN_PROGRESS', 'READY',
            'COMPLETED', 'CANCELLED'])[:to] THEN appointments.status_since ELSE now() END,
        version = appointments.version + 1,
        updated_at = now()
    FROM previous
    WHERE appointments.id = previous.id AND appointments.version = :version
      AND appointments.deleted_at IS NULL AND appointments.version < 9223372036854775807
    RETURNING appointments.id, appointments.title, appointments.customer, appointments.scheduled_at,
              appointments.notes, appointments.status, appointments.version, appointments.updated_at,
              appointments.status_since, previous.status AS old_status
), seq AS (
    UPDATE shops SET last_seq = shops.last_seq + 1
    WHERE shops.id = nullif(current_setting('board.shop_id', true), '')::bigint AND EXISTS (SELECT changed.id FROM changed)
    RETURNING shops.last_seq, pg_notify('board_changes', concat(shops.id, ':', shops.last_seq)) AS rung
), event AS (
    INSERT INTO appointment_events (appointment_id, version, kind, at, from_status, to_status, seq, card)
    SELECT changed.id, changed.version, 'moved', changed.updated_at, changed.old_status, changed.status, seq.last_seq,
           jsonb_build_object('id', changed.id, 'title', changed.title, 'customer', changed.customer,
               'scheduled_at', timezone('UTC', changed.scheduled_at), 'notes', changed.notes, 'status', changed.status,
               'version', changed.version, 'updated_at', timezone('UTC', changed.updated_at),
               'status_since', timezone('UTC', changed.status_since))
    FROM changed JOIN seq ON true
)
SELECT changed.id, changed.title, changed.customer, changed.scheduled_at, changed.notes, changed.status,
       changed.version, changed.updated_at, changed.status_since FROM changed;
