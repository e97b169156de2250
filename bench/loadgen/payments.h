/*
 * ft-loadgen's payment stage: a buyer whose request was HELD pays for the hold the way a
 * browser does with PortOne's SDK, against the PortOne imitation (tests/portone):
 *
 *   1. POST /api/v1/payments/prepare {reservationId}        -> {merchantUid, amount}
 *   2. POST {portone}/__control/payments {merchant_uid, amount} -> {imp_uid}
 *      (a wrong-amount payer pays amount - 1000 here)
 *   3. POST /api/v1/payments {reservationId, impUid}          -> 202 CONFIRMING, 200 PAID,
 *      or 409 AMOUNT_MISMATCH for a wrong amount (its refund is then due)
 *   4. GET /api/v1/payments/{reservationId} every pollAfterMs until PAID or REFUNDED.
 *
 * Every step goes through the run's HTTP client (http.h); nothing blocks. A step
 * that got 503 or no answer is sent again after a pause (the confirmation is idempotent
 * for the same impUid); step 2 is never repeated, since a lost answer may hide a payment
 * that was made. Each payment ends PAID, REFUNDED, NOT_HELD (the hold was over before the
 * order was made), FAILED (an answer a buyer cannot go on from), or stays open when the
 * run stops first.
 */
#ifndef LG_PAYMENTS_H
#define LG_PAYMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http.h"
#include "record.h"

struct lg_payments;

/* Everything here is borrowed: it must outlive the payment stage. */
struct lg_payments_config {
    struct lg_http *http;
    const char *portone_url;      /* the imitation, e.g. http://127.0.0.1:8090 */
    char *const *tokens;          /* bearer token of each user */
    struct lg_recorder *recorder; /* payment requests are recorded too (no file: nothing) */
    int64_t t0_us;                /* T0 of the run: recorded times count from it */
};

/* A payment stage with nothing started; NULL when out of memory. */
struct lg_payments *lg_payments_new(const struct lg_payments_config *config);
void lg_payments_free(struct lg_payments *p);

/* Starts paying for the hold `reservation_id` of `user`, made by request `job`. False when
 * out of memory (nothing started). */
__attribute__((warn_unused_result)) bool lg_payments_start(struct lg_payments *p, uint32_t job, uint32_t user,
                                                           int64_t reservation_id, bool wrong_amount);

/* Sends every step due at or before now_us (polls and retries wait until they are due). */
void lg_payments_send_due(struct lg_payments *p, int64_t now_us);

/* When the next step waiting for its time is due; INT64_MAX when none waits. */
int64_t lg_payments_next_due_us(const struct lg_payments *p);

/* Steps waiting for their time (not counting those in flight in the HTTP client). */
size_t lg_payments_waiting(const struct lg_payments *p);

struct lg_payment_counts {
    size_t started, paid, refunded, open;
};
struct lg_payment_counts lg_payments_counts(const struct lg_payments *p);

/* True once an allocation failed: some payment was dropped and the figures are incomplete. */
bool lg_payments_out_of_memory(const struct lg_payments *p);

/*
 * The figures: {attempted, paid, refused: {code: n}, refunded, refunded_wrong_amount,
 * refunded_right_amount, wrong_amount, not_held, failed, open, requests, retries,
 * errors: {"status CODE": n}, ms_confirm_to_paid, ms_confirm_to_refunded: {p50, p90, p99,
 * max}, wrong_amount_imp_uids: [...]}. Times count from the first POST /api/v1/payments.
 */
json_t *lg_payments_summary(struct lg_payments *p);

#endif
