/*
 * Traffic recording: one JSON line per request the on-sale sends, with its time relative
 * to T0, so that a run can be replayed against the stack at x1 or faster.
 *
 *   {"t":12.5,"method":"POST","path":"/api/v1/reservations","user":17,"seq":17,"body":{...}}
 *   {"t":270.1,"method":"GET","path":"/api/v1/reservations/requests/{token}","user":17,"seq":17}
 *
 * `user` indexes the run's users (0 .. users-1), `seq` the reservation request a poll
 * belongs to: a replay has new tokens, so a poll names its request, not its token. The
 * first line is {"meta":{"version":1,"users":N,"requests":M}}. Account set-up (signup,
 * login) happens before T0 and is not recorded: a replay sets up its own N users.
 *
 * Payments are recorded the same way, ids left as placeholders (a replay has its own):
 *
 *   {"t":300.2,"method":"POST","path":"/api/v1/payments/prepare","user":17,"seq":17,
 *    "body":{"reservationId":"{reservationId}"},"pay":"right-amount"}
 *   {"t":304.9,"method":"POST","path":"{portone}/__control/payments",...,
 *    "body":{"merchant_uid":"{merchantUid}","amount":"{amount}"}}     ("{amount}-1000" when wrong)
 *   {"t":309.0,"method":"POST","path":"/api/v1/payments",...,"body":{...,"impUid":"{impUid}"}}
 *   {"t":811.3,"method":"GET","path":"/api/v1/payments/{reservationId}","user":17,"seq":17}
 *
 * A replay starts a payment when its recorded prepare comes (or, if the hold is not decided
 * yet, as soon as it is HELD), paying the right or the wrong amount as recorded ("pay"); its
 * later steps follow the answers, as a buyer's browser does, so their lines are read and
 * not sent.
 */
#ifndef LG_RECORD_H
#define LG_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The path a recorded poll carries in place of its token. */
#define LG_POLL_PATH_TEMPLATE "/api/v1/reservations/requests/{token}"
/* The paths of the payment steps. */
#define LG_PAY_PREPARE_PATH "/api/v1/payments/prepare"
#define LG_PAY_PORTONE_PATH "{portone}/__control/payments"
#define LG_PAY_CONFIRM_PATH "/api/v1/payments"
#define LG_PAY_POLL_PATH_TEMPLATE "/api/v1/payments/{reservationId}"

struct lg_recorder {
    FILE *file;
    bool failed;
};

__attribute__((warn_unused_result)) bool lg_record_open(struct lg_recorder *rec, const char *path, size_t users,
                                                        size_t requests);
/* Appends one request; body may be NULL. A write error is remembered for lg_record_close. */
void lg_record_request(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                       size_t seq, json_t *body);
/* The same with a body given as JSON text, read only when recording (not NULL). */
void lg_record_request_text(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                            size_t seq, const char *body);
/* Appends the first step of a payment (the prepare), with which amount the buyer pays. */
void lg_record_payment_start(struct lg_recorder *rec, double t_ms, size_t user, size_t seq, bool wrong_amount);
/* Closes the file; false when any write failed. */
__attribute__((warn_unused_result)) bool lg_record_close(struct lg_recorder *rec);

enum lg_recorded_kind {
    LG_RECORDED_RESERVE, /* POST /api/v1/reservations */
    LG_RECORDED_POLL,    /* GET of the poll template */
    LG_RECORDED_PAY,     /* the prepare that starts a payment */
};

struct lg_recorded {
    double t_ms;
    enum lg_recorded_kind kind;
    bool wrong_amount; /* LG_RECORDED_PAY: the buyer pays amount - 1000 */
    size_t user, seq;
    char *body; /* compact JSON of a reservation, NULL otherwise */
};

struct lg_recording {
    size_t users, requests;
    size_t payments; /* LG_RECORDED_PAY items */
    struct lg_recorded *items; /* in file order, which is time order */
    size_t count;
};

/* Reads a recording; on failure writes the reason into err. */
__attribute__((warn_unused_result)) bool lg_recording_load(const char *path, struct lg_recording *out, char *err,
                                                           size_t errlen);
void lg_recording_free(struct lg_recording *rec);

#endif
