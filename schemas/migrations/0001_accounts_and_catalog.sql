-- Accounts and catalog: users, venue layouts, concerts, schedules and their seats.
-- Timestamps are timestamptz everywhere; money is an integer number of won.

-- How the API writes an instant: RFC 3339 in UTC, e.g. 2026-12-24T10:00:00Z.
CREATE FUNCTION api_timestamp(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role          text        NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- One account per address, whatever its letter case.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

CREATE TABLE venues (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A venue's layout: one line per row, numbered from 1 at the front.
CREATE TABLE venue_rows (
    venue_id   bigint  NOT NULL REFERENCES venues (id),
    row_number integer NOT NULL CHECK (row_number BETWEEN 1 AND 100),
    seat_count integer NOT NULL CHECK (seat_count BETWEEN 1 AND 200),
    grade      text    NOT NULL CHECK (grade IN ('VIP', 'R', 'S', 'A')),
    price      bigint  NOT NULL CHECK (price BETWEEN 0 AND 100000000),
    PRIMARY KEY (venue_id, row_number)
);

CREATE TABLE concerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    artist      text        NOT NULL CHECK (length(artist) BETWEEN 1 AND 200),
    description text        NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE schedules (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    concert_id bigint      NOT NULL REFERENCES concerts (id),
    venue_id   bigint      NOT NULL REFERENCES venues (id),
    starts_at  timestamptz NOT NULL,
    status     text        NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN', 'CLOSED')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_by_concert ON schedules (concert_id, starts_at);

-- Seats are copied from the venue layout when a schedule is created, so that a later
-- change of layout or price never alters what was on sale.
CREATE TABLE seats (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id bigint  NOT NULL REFERENCES schedules (id),
    row_number  integer NOT NULL CHECK (row_number BETWEEN 1 AND 100),
    seat_number integer NOT NULL CHECK (seat_number BETWEEN 1 AND 200),
    grade       text    NOT NULL CHECK (grade IN ('VIP', 'R', 'S', 'A')),
    price       bigint  NOT NULL CHECK (price BETWEEN 0 AND 100000000),
    UNIQUE (schedule_id, row_number, seat_number),
    -- Target of the composite key below: a reserved seat must be of the reservation's schedule.
    UNIQUE (id, schedule_id)
);
