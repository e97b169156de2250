-- Room for the reservation pipeline: where each partition's single writer has got to,
-- and the outcome of every request it decided.

-- One row per partition of the commands topic. `next_offset` is written in the same
-- transaction as the outcomes it covers; `epoch` is bumped whenever a worker is assigned
-- the partition, and every commit checks it under the row lock, so a worker that lost
-- the partition can never write again.
CREATE TABLE partition_offsets (
    topic       text    NOT NULL,
    partition   integer NOT NULL CHECK (partition >= 0),
    next_offset bigint  NOT NULL DEFAULT 0 CHECK (next_offset >= 0),
    epoch       bigint  NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    PRIMARY KEY (topic, partition)
);

-- The decided outcome of a request, read by its polling token. Once written it never
-- changes (the worker inserts, never updates).
CREATE TABLE request_outcomes (
    token          text        PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id),
    schedule_id    bigint      NOT NULL REFERENCES schedules (id),
    partition      integer     NOT NULL,
    log_offset     bigint      NOT NULL,
    status         text        NOT NULL CHECK (status IN ('HELD', 'REJECTED')),
    reservation_id bigint      REFERENCES reservations (id),
    reject_code    text,
    decided_at     timestamptz NOT NULL,
    CHECK ((status = 'HELD') = (reservation_id IS NOT NULL)),
    CHECK ((status = 'REJECTED') = (reject_code IS NOT NULL))
);
CREATE INDEX request_outcomes_by_user ON request_outcomes (user_id);
