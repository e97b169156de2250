-- Payments through PortOne, and refunds that are never lost.
--
-- A payment row is the order we issue for one reservation (merchant_uid), then the
-- provider's payment that settles it (imp_uid):
--   PREPARED    the order exists; nothing paid yet
--   CONFIRMING  PortOne says it is paid and it checked out; the confirmation is on the
--               schedule's partition, where the worker decides it
--   PAID        the worker made the reservation PAID
--   REFUND_DUE  it cannot be honoured (or was cancelled): a refund is in the outbox
--   REFUNDED    PortOne confirmed the refund
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('PREPARED', 'CONFIRMING', 'PAID', 'REFUND_DUE', 'REFUNDED'));
ALTER TABLE payments ADD CONSTRAINT payments_paid_has_imp_uid
    CHECK (status = 'PREPARED' OR imp_uid IS NOT NULL);
-- One order per reservation: a retried prepare returns it, and PortOne refuses to take a
-- second payment for the same merchant_uid.
DROP INDEX one_paid_payment_per_reservation;
CREATE UNIQUE INDEX one_order_per_reservation ON payments (reservation_id);
-- Confirmations that never reached the log (an ingress died between recording and
-- producing) are sent again by the expirer.
CREATE INDEX payments_confirming ON payments (updated_at) WHERE status = 'CONFIRMING';

-- The refund outbox. A row is written in the same transaction as the decision that makes
-- the refund due (by the ingress when the verification fails, by the worker when the log
-- decides against the payment or the owner cancels a paid reservation); the expirer's
-- retrier carries it out until PortOne confirms. One refund per provider payment, ever:
-- it refunds the whole payment, guarded by PortOne's checksum.
CREATE TABLE refunds (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    imp_uid         text        NOT NULL UNIQUE,
    merchant_uid    text        NOT NULL,
    reservation_id  bigint      NOT NULL,
    amount          bigint      NOT NULL CHECK (amount > 0),
    reason          text        NOT NULL CHECK (reason IN ('AMOUNT_MISMATCH', 'CURRENCY_MISMATCH', 'HOLD_ENDED',
                                                           'ALREADY_PAID', 'NOT_OWNER', 'CANCELLED_BY_BUYER')),
    -- Who decided it: the ingress's verification, or the worker at a point of the log
    -- (only the latter is reproduced by a replay, and only it is in the state digest).
    decided_by      text        NOT NULL CHECK (decided_by IN ('VERIFICATION', 'LOG')),
    status          text        NOT NULL DEFAULT 'DUE' CHECK (status IN ('DUE', 'DONE')),
    attempts        integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    CHECK ((status = 'DONE') = (completed_at IS NOT NULL))
);
CREATE INDEX refunds_due ON refunds (next_attempt_at) WHERE status = 'DUE';

-- Every attempt at a refund: written 'STARTED' before PortOne is called, then given its
-- result, so that an attempt cut short by a crash stays visible.
CREATE TABLE refund_attempts (
    refund_id  bigint      NOT NULL REFERENCES refunds (id),
    attempt    integer     NOT NULL CHECK (attempt >= 1),
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz,
    result     text        NOT NULL DEFAULT 'STARTED'
               CHECK (result IN ('STARTED', 'REFUNDED', 'ALREADY_REFUNDED', 'UNAVAILABLE', 'REFUSED',
                                 'NOT_FOUND', 'UNAUTHORIZED')),
    detail     text        NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
    PRIMARY KEY (refund_id, attempt)
);
