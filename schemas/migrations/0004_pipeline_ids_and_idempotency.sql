-- The worker names each reservation after its place in the log (partition, offset), so
-- that replaying a partition into an empty database reproduces the same ids.
ALTER TABLE reservations ALTER COLUMN id DROP IDENTITY;

-- A retried reservation request that carries the same Idempotency-Key gets the same
-- token, never a second hold. Kept in PostgreSQL so that any ingress answers the retry.
CREATE TABLE idempotency_keys (
    user_id    bigint      NOT NULL REFERENCES users (id),
    key        text        NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    token      text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
