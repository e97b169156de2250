/*
 * Reading a reservation request, POST /api/v1/reservations, and checking it against the
 * catalog in memory: whatever can be refused without the queue is refused here, with
 * the error the client sees. Pure (the catalog is memory).
 *
 * Body: {scheduleId, seatIds: [1..4 distinct ids]} or {scheduleId, quantity: 1..4,
 * grade?: "VIP"|"R"|"S"|"A"}.
 *   400 MALFORMED_JSON, INVALID_TYPE, MISSING_FIELD (neither seatIds nor quantity)
 *   422 VALIDATION_FAILED: scheduleId < 1, both forms at once, seat count, repeated or
 *       non-positive seat ids, quantity out of range, unknown grade, a seat that is not
 *       of the schedule (field seatIds)
 *   404 NOT_FOUND: no such schedule; 409 SCHEDULE_CLOSED: the schedule is closed
 */
#ifndef FT_INGRESS_RESERVATION_BODY_H
#define FT_INGRESS_RESERVATION_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "ft/command.h"
#include "http_types.h"

/*
 * Reads body[0..len) into cmd: type RESERVE, schedule_id, and either seat_count +
 * seat_ids or quantity + grade (FT_GRADE_ANY when absent). The rest of cmd (time, user,
 * token, hold) is the caller's. False with *err filled when the request is refused.
 */
__attribute__((warn_unused_result)) bool ft_reservation_read(const char *body, size_t len,
                                                             struct ft_catalog *catalog, struct ft_command *cmd,
                                                             struct ft_error *err);

/* Room for ft_reservation_fingerprint's text, NUL included. */
#define FT_RESERVATION_FINGERPRINT_SIZE 160

/*
 * What a read request asks for, as text that two requests share exactly when they ask for
 * the same thing: "schedule=7 seats=3,12" (seat ids in ascending order) or "schedule=7
 * quantity=2 grade=VIP" (grade=any without one). An Idempotency-Key keeps it, so that a
 * key sent again with another request is refused rather than answered for the first.
 */
void ft_reservation_fingerprint(const struct ft_command *cmd, char out[FT_RESERVATION_FINGERPRINT_SIZE]);

#endif
