-- A worker that takes over a partition reads the live reservations of each of its
-- schedules (worker/store.c, load_reservations). reservations had no index that starts
-- with schedule_id, so each such read scanned every reservation ever made: about 45 ms
-- a schedule at 358,000 rows, growing with the table's history, for every schedule
-- of every partition a worker is given. Partial, so it holds only the live ones (HELD
-- or PAID): its size follows the seats on sale, not the history.
CREATE INDEX live_reservations_by_schedule ON reservations (schedule_id) WHERE live;
