-- Reservations, their seats and payments, with the constraints that make a double
-- booking impossible even if the code above them is wrong.

CREATE TABLE reservations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    schedule_id  bigint      NOT NULL REFERENCES schedules (id),
    status       text        NOT NULL CHECK (status IN ('HELD', 'PAID', 'CANCELLED', 'EXPIRED')),
    amount       bigint      NOT NULL CHECK (amount >= 0),
    held_at      timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    paid_at      timestamptz,
    ended_at     timestamptz,
    -- A reservation holds its seats while it is HELD or PAID.
    live         boolean     NOT NULL GENERATED ALWAYS AS (status IN ('HELD', 'PAID')) STORED,
    CHECK (expires_at > held_at),
    CHECK ((status = 'PAID') = (paid_at IS NOT NULL) OR status IN ('CANCELLED')),
    CHECK ((status IN ('CANCELLED', 'EXPIRED')) = (ended_at IS NOT NULL)),
    UNIQUE (id, schedule_id, live)
);
CREATE INDEX reservations_by_user ON reservations (user_id, id);
CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE status = 'HELD';

-- Each seat of a reservation. `live` follows the reservation's own flag through the
-- cascading key, so the partial unique index below sees every status change: a seat can
-- belong to at most one live reservation, and only to a reservation of its own schedule.
CREATE TABLE reservation_seats (
    reservation_id bigint  NOT NULL,
    schedule_id    bigint  NOT NULL,
    live           boolean NOT NULL,
    seat_id        bigint  NOT NULL,
    PRIMARY KEY (reservation_id, seat_id),
    FOREIGN KEY (reservation_id, schedule_id, live)
        REFERENCES reservations (id, schedule_id, live) ON UPDATE CASCADE,
    FOREIGN KEY (seat_id, schedule_id) REFERENCES seats (id, schedule_id)
);
CREATE UNIQUE INDEX one_live_reservation_per_seat ON reservation_seats (seat_id) WHERE live;

CREATE TABLE payments (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reservation_id bigint      NOT NULL REFERENCES reservations (id),
    merchant_uid   text        NOT NULL UNIQUE,
    -- The provider's payment id settles at most one reservation, ever.
    imp_uid        text        UNIQUE,
    amount         bigint      NOT NULL CHECK (amount >= 0),
    status         text        NOT NULL CHECK (status IN ('PREPARED', 'PAID', 'REFUND_DUE', 'REFUNDED')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- A reservation is paid by one payment at most.
CREATE UNIQUE INDEX one_paid_payment_per_reservation ON payments (reservation_id) WHERE status = 'PAID';
