-- An Idempotency-Key names one request. A retry that sends the same key with another
-- request (other seats, another schedule, another quantity or grade) is refused with 422
-- IDEMPOTENCY_KEY_REUSED instead of being answered with the first request's token, which
-- would tell the client its new request was taken. `request` is what the first one asked
-- for, written canonically by the ingress (ft_reservation_fingerprint); keys bound before
-- this migration have none and are not compared. The check is added NOT VALID: it holds
-- for every new row, and validating it would read the whole table under a lock that holds
-- back every keyed reservation, to check rows whose `request` is NULL.
ALTER TABLE idempotency_keys ADD COLUMN request text;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_request_length CHECK (length(request) <= 200) NOT VALID;
