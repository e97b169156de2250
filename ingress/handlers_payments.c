/*
 * Payments through PortOne (REST API v1):
 *   POST /api/v1/payments/prepare {reservationId}  the order to pay: merchantUid, amount, orderName
 *   POST /api/v1/payments {reservationId, impUid}  after the browser paid: verify and confirm
 *   GET  /api/v1/payments/{reservationId}          the payment's state and its refund, if any
 *   POST /api/v1/payments/webhook                  PortOne's notice; never trusted as sent
 *
 * Verification fetches the payment from PortOne and checks it (payment_verify.c). A
 * payment that checks out is recorded CONFIRMING (binding its imp_uid to this order for
 * good) and its confirmation goes on the schedule's partition, where the worker makes
 * the hold PAID only if it is still live at that point of the log, and refunds it
 * otherwise. The CONFIRMING row is what makes it durable: if Kafka does not take the
 * command now, the expirer sends it again (expirer/confirmations.c), so the answer is
 * 202 either way. One that is ours but cannot be honoured is put in the refund outbox in
 * the same statement that binds it. Repeating a request answers from the order's state
 * and changes nothing.
 *
 * The calls to PortOne block the HTTP thread for at most FT_PORTONE_TIMEOUT_MS; payments
 * come long after the rush of an on-sale, one per reservation.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/clock.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/portone.h"
#include "handlers.h"
#include "json_body.h"
#include "ft/payment_verify.h"
#include "pipeline.h"
#include "request_token.h"
#include "response.h"

/* How soon a client should look again at a payment being confirmed. */
#define CONFIRM_POLL_AFTER_MS 500

static bool payments_on(struct ft_app *app, struct ft_response *resp)
{
    if (app->portone != NULL)
        return true;
    ft_respond_fail(resp, 503, "PAYMENTS_UNAVAILABLE", "payments are not configured on this server");
    return false;
}

/* An id as a client or a webhook sends it: 1 to size - 1 printable ASCII characters. */
static bool printable_id(const char *s, size_t size)
{
    size_t len = strlen(s);
    if (len == 0 || len >= size)
        return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return false;
    return true;
}

/* A PortOne payment id: 1 to 127 printable ASCII characters. */
static bool imp_uid_valid(const char *s)
{
    return printable_id(s, FT_IMP_UID_SIZE);
}

static void bad_field(struct ft_error *err, const char *field, const char *message)
{
    *err = (struct ft_error){ .status = 400, .code = "INVALID_FIELD" };
    snprintf(err->message, sizeof err->message, "%s", message);
    snprintf(err->field, sizeof err->field, "%s", field);
}

/* Reads {reservationId[, impUid]} (impUid only when imp_uid is not NULL). */
static bool read_body(const struct ft_request *req, int64_t *reservation_id, char *imp_uid, struct ft_response *resp)
{
    json_t *body = NULL;
    struct ft_error err = { 0 };
    const char *uid = NULL;
    static const char *const prepare[] = { "reservationId", NULL };
    static const char *const confirm[] = { "reservationId", "impUid", NULL };
    bool ok = ft_body_object(req->body, req->body_len, imp_uid == NULL ? prepare : confirm, &body, &err) &&
              ft_body_integer(body, "reservationId", reservation_id, &err) &&
              (imp_uid == NULL || ft_body_string(body, "impUid", true, &uid, &err));
    if (ok && *reservation_id <= 0) {
        bad_field(&err, "reservationId", "reservationId must be positive");
        ok = false;
    } else if (ok && uid != NULL && !imp_uid_valid(uid)) {
        bad_field(&err, "impUid", "impUid must be PortOne's payment id (1 to 127 printable characters)");
        ok = false;
    }
    if (ok && uid != NULL)
        snprintf(imp_uid, FT_IMP_UID_SIZE, "%s", uid);
    json_decref(body);
    if (!ok)
        ft_respond_error(resp, &err);
    return ok;
}

/* The answer for an order already settled by a payment: what its state says, whoever asks again. */
static void answer_settled(const struct ft_payment_order *o, struct ft_response *resp)
{
    if (strcmp(o->status, "CONFIRMING") == 0 || strcmp(o->status, "PAID") == 0) {
        bool paid = strcmp(o->status, "PAID") == 0;
        ft_respond_json(resp, paid ? 200 : 202,
                        json_pack("{s:I, s:s, s:s, s:s, s:i}", "reservationId", (json_int_t)o->reservation_id,
                                  "merchantUid", o->merchant_uid, "impUid", o->imp_uid, "status", o->status,
                                  "pollAfterMs", paid ? 0 : CONFIRM_POLL_AFTER_MS));
        return;
    }
    char message[160];
    snprintf(message, sizeof message, "this payment could not be honoured (%s); it is %s", o->refund_reason,
             strcmp(o->status, "REFUNDED") == 0 ? "refunded" : "being refunded");
    ft_respond_fail(resp, 409, "PAYMENT_REFUNDED", message);
}

/* One confirmation on its way to Kafka; Kafka's answer is only logged (see the top). */
struct confirm_delivery {
    struct ft_delivery delivery; /* first */
    int64_t reservation_id;
};

static void confirm_delivered(struct ft_delivery *delivery, rd_kafka_resp_err_t err, int32_t partition, int64_t offset)
{
    struct confirm_delivery *d = (struct confirm_delivery *)(void *)delivery;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_info("payment.confirm_queued", "reservation=%" PRId64 " partition=%d offset=%" PRId64,
                    d->reservation_id, partition, offset);
    else
        ft_log_warn("payment.confirm_not_queued", "reservation=%" PRId64 " error=\"%s\" then=expirer_resends",
                    d->reservation_id, rd_kafka_err2str(err));
    free(d);
}

static void send_confirmation(struct ft_app *app, const struct ft_payment_order *o, const char *imp_uid, int64_t amount)
{
    struct ft_command cmd = { .type = FT_CMD_CONFIRM_PAYMENT, .ts_ms = ft_clock_wall_ms(),
                              .schedule_id = o->schedule_id, .user_id = o->user_id,
                              .reservation_id = o->reservation_id, .payment.amount = amount };
    snprintf(cmd.payment.imp_uid, sizeof cmd.payment.imp_uid, "%s", imp_uid);
    snprintf(cmd.payment.merchant_uid, sizeof cmd.payment.merchant_uid, "%s", o->merchant_uid);
    char payload[1024];
    size_t len = ft_command_encode(&cmd, payload, sizeof payload);
    int32_t partitions = ft_pipeline_partitions(app->pipeline);
    struct confirm_delivery *d = len > 0 && partitions > 0 ? calloc(1, sizeof *d) : NULL;
    if (d != NULL) {
        d->delivery.done = confirm_delivered;
        d->reservation_id = o->reservation_id;
        if (ft_pipeline_produce(app->pipeline, ft_kafka_schedule_partition(o->schedule_id, partitions),
                                o->schedule_id, payload, len, &d->delivery) == RD_KAFKA_RESP_ERR_NO_ERROR)
            return;
        free(d);
    }
    ft_log_warn("payment.confirm_not_queued", "reservation=%" PRId64 " then=expirer_resends", o->reservation_id);
}

/*
 * Settles an order with PortOne's account of payment imp_uid: verifies it and confirms
 * it, refunds it, or refuses it. *o is the order as read before PortOne was asked.
 */
static void settle(struct ft_app *app, PGconn *db, struct ft_payment_order *o, const char *imp_uid,
                   const struct ft_portone_payment *payment, struct ft_response *resp)
{
    struct ft_payment_verdict verdict;
    ft_payment_verify(payment, o->merchant_uid, o->amount, &verdict);
    enum ft_store_result stored = FT_STORE_OK;
    if (verdict.kind == FT_VERDICT_REFUSE) {
        ft_log_info("payment.refused", "reservation=%" PRId64 " imp_uid=%s code=%s", o->reservation_id, imp_uid,
                    verdict.code);
        ft_respond_fail(resp, verdict.status, verdict.code, verdict.message);
        return;
    }
    if (verdict.kind == FT_VERDICT_REFUND)
        stored = ft_store_payment_refuse(db, o->reservation_id, imp_uid, o->merchant_uid, verdict.refund_amount,
                                         verdict.code);
    else
        stored = ft_store_payment_claim(db, o->reservation_id, imp_uid);
    if (stored == FT_STORE_CONFLICT) {
        ft_respond_fail(resp, 409, "PAYMENT_ALREADY_USED", "this payment already settles another reservation");
        return;
    }
    if (stored == FT_STORE_NOT_FOUND) {
        /* Someone else settled the order meanwhile (a second tab): answer from what it is now. */
        stored = ft_store_payment_order(db, o->reservation_id, o->user_id, NULL, o);
        if (stored == FT_STORE_OK && strcmp(o->imp_uid, imp_uid) == 0)
            answer_settled(o, resp);
        else if (stored == FT_STORE_OK)
            ft_respond_fail(resp, 409, "PAYMENT_ALREADY_MADE",
                            "this reservation is already settled by another payment");
        else
            ft_respond_stored(resp, stored, 200, NULL, "you have no reservation with this id");
        return;
    }
    if (stored != FT_STORE_OK) {
        ft_respond_stored(resp, stored, 200, NULL, "");
        return;
    }
    ft_log_info("payment.verified", "reservation=%" PRId64 " imp_uid=%s verdict=%s", o->reservation_id, imp_uid,
                verdict.kind == FT_VERDICT_REFUND ? verdict.code : "CONFIRM");
    if (verdict.kind == FT_VERDICT_REFUND) {
        ft_respond_fail(resp, verdict.status, verdict.code, verdict.message);
        return;
    }
    send_confirmation(app, o, imp_uid, payment->amount);
    snprintf(o->imp_uid, sizeof o->imp_uid, "%s", imp_uid);
    snprintf(o->status, sizeof o->status, "CONFIRMING");
    answer_settled(o, resp);
}

/* Asks PortOne for payment imp_uid; false with the answer given when it cannot say. */
static bool fetch(struct ft_app *app, const char *imp_uid, struct ft_portone_payment *payment, struct ft_response *resp)
{
    enum ft_portone_result result = ft_portone_get_payment(app->portone, imp_uid, payment);
    if (result == FT_PORTONE_OK)
        return true;
    ft_log_info("payment.fetch_failed", "imp_uid=%s result=%s", imp_uid, ft_portone_result_name(result));
    if (result == FT_PORTONE_NOT_FOUND)
        ft_respond_fail(resp, 404, "PAYMENT_NOT_FOUND", "PortOne knows no payment with this impUid");
    else
        ft_respond_fail(resp, 503, "PAYMENT_PROVIDER_UNAVAILABLE", "PortOne cannot be asked now; try again shortly");
    return false;
}

/*
 * A confirmation's start: payments on, the body read, the caller's order.
 * The connection to release, or NULL with the answer given.
 */
static PGconn *open_order(struct ft_app *app, const struct ft_request *req, char *imp_uid, struct ft_payment_order *o,
                          struct ft_response *resp)
{
    int64_t reservation_id = 0;
    if (!payments_on(app, resp) || !read_body(req, &reservation_id, imp_uid, resp))
        return NULL;
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return NULL;
    enum ft_store_result result = ft_store_payment_order(db, reservation_id, req->caller.user_id, NULL, o);
    if (result != FT_STORE_OK) {
        ft_db_release(app->db, db);
        ft_respond_stored(resp, result, 200, NULL, "you have no reservation with this id");
        return NULL;
    }
    return db;
}

/* Ours and unguessable (a token's random part): a deployment reset can never make it
 * collide with an old order. */
static void new_merchant_uid(int64_t reservation_id, char merchant_uid[FT_MERCHANT_UID_SIZE])
{
    char nonce[FT_REQUEST_TOKEN_SIZE];
    ft_request_token_new(nonce);
    snprintf(merchant_uid, FT_MERCHANT_UID_SIZE, "ft-%" PRId64 "-%.12s", reservation_id,
             nonce + FT_REQUEST_TOKEN_TIME_CHARS);
}

/* The answer to a prepare that created no order: the caller has no such hold (404), it is
 * no longer live (409), or it has its order already (that order, as it is now). */
static void answer_prepared_before(PGconn *db, int64_t reservation_id, int64_t user_id, const char *merchant_uid,
                                   struct ft_response *resp)
{
    struct ft_payment_order o;
    enum ft_store_result result = ft_store_payment_order(db, reservation_id, user_id, NULL, &o);
    bool unpaid = result == FT_STORE_OK && (!o.prepared || strcmp(o.status, "PREPARED") == 0);
    if (unpaid && (strcmp(o.reservation_status, "HELD") != 0 || o.past_expiry)) {
        /* Nothing to pay for any more: a payment now would only be refunded. */
        ft_respond_fail(resp, 409, "RESERVATION_NOT_HELD", "only a live hold can be paid");
        return;
    }
    char *json = NULL;
    if (result == FT_STORE_OK)
        result = o.prepared ? ft_store_payment_view(db, reservation_id, user_id, &json)
                            : ft_store_payment_open(db, reservation_id, user_id, merchant_uid, &json);
    ft_respond_stored(resp, result, 200, json, "you have no reservation with this id");
}

void ft_handle_payment_prepare(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    int64_t reservation_id = 0;
    if (!payments_on(app, resp) || !read_body(req, &reservation_id, NULL, resp))
        return;
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char merchant_uid[FT_MERCHANT_UID_SIZE];
    new_merchant_uid(reservation_id, merchant_uid);
    /* Nearly every prepare is a buyer's first for a live hold: one statement creates the
     * order and reads it back. */
    char *json = NULL;
    enum ft_store_result result = ft_store_payment_open(db, reservation_id, req->caller.user_id, merchant_uid, &json);
    if (result == FT_STORE_NOT_FOUND)
        answer_prepared_before(db, reservation_id, req->caller.user_id, merchant_uid, resp);
    else
        ft_respond_stored(resp, result, 200, json, "");
    ft_db_release(app->db, db);
}

void ft_handle_payment_confirm(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    char imp_uid[FT_IMP_UID_SIZE];
    struct ft_payment_order o;
    PGconn *db = open_order(app, req, imp_uid, &o, resp);
    if (db == NULL)
        return;
    bool ask_portone = false;
    if (!o.prepared)
        ft_respond_fail(resp, 409, "PAYMENT_NOT_PREPARED",
                        "ask for the payment order first (POST /api/v1/payments/prepare)");
    else if (strcmp(o.imp_uid, imp_uid) == 0)
        answer_settled(&o, resp); /* a retry, a double click, a second tab: the same answer */
    else if (o.imp_uid[0] != '\0')
        ft_respond_fail(resp, 409, "PAYMENT_ALREADY_MADE", "this reservation is already settled by another payment");
    else
        ask_portone = true;
    /* PortOne is asked with no connection held: the pool's few serve everyone else meanwhile
     * (settle takes an order changed in between into account). */
    ft_db_release(app->db, db);
    struct ft_portone_payment payment;
    if (!ask_portone || !fetch(app, imp_uid, &payment, resp) || (db = ft_handler_db(app, resp)) == NULL)
        return;
    settle(app, db, &o, imp_uid, &payment, resp);
    ft_db_release(app->db, db);
}

void ft_handle_payment_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_payment_view(db, req->path_id, req->caller.user_id, &json);
    ft_db_release(app->db, db);
    ft_respond_stored(resp, result, 200, json, "you have no payment order for this reservation");
}

/* Reads PortOne's notice: any members, since PortOne may add some; only imp_uid and
 * merchant_uid are read, and neither is trusted beyond naming what to look at. */
static bool read_notice(const struct ft_request *req, char *imp_uid, char *merchant_uid, size_t merchant_size,
                        struct ft_response *resp)
{
    json_t *body = NULL;
    struct ft_error err = { 0 };
    const char *uid = NULL, *merchant = NULL;
    bool ok = ft_body_object(req->body, req->body_len, NULL, &body, &err) &&
              ft_body_string(body, "imp_uid", true, &uid, &err) &&
              ft_body_string(body, "merchant_uid", true, &merchant, &err);
    if (ok && !imp_uid_valid(uid)) {
        bad_field(&err, "imp_uid", "imp_uid is not a PortOne payment id");
        ok = false;
    } else if (ok && !printable_id(merchant, merchant_size)) {
        bad_field(&err, "merchant_uid", "merchant_uid is not an order id");
        ok = false;
    }
    if (ok) {
        snprintf(imp_uid, FT_IMP_UID_SIZE, "%s", uid);
        snprintf(merchant_uid, merchant_size, "%s", merchant);
    }
    json_decref(body);
    if (!ok)
        ft_respond_error(resp, &err);
    return ok;
}

/* The order a notice names, with a connection of its own; false with the answer given
 * when PostgreSQL cannot say. */
static bool notice_order(struct ft_app *app, const char *merchant_uid, struct ft_payment_order *o,
                         enum ft_store_result *result, struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return false;
    *result = ft_store_payment_order(db, 0, 0, merchant_uid, o);
    ft_db_release(app->db, db);
    if (*result == FT_STORE_OK || *result == FT_STORE_NOT_FOUND)
        return true;
    ft_respond_stored(resp, *result, 200, NULL, "");
    return false;
}

/*
 * PortOne's notice that a payment was made or cancelled. A paid payment whose buyer never
 * came back (closed browser) is verified and confirmed on the owner's behalf; anything
 * already settled is left as it is, so a repeated notice changes nothing. Refunds in
 * progress are the refund retrier's, not this handler's.
 *
 * PortOne is asked only about a notice that names an order of ours still waiting for its
 * payment: a notice about anything else would change nothing, and anyone can send one, so
 * it must not make us call PortOne (each call holds a blocking-pool thread for up to the
 * timeout). A buyer can still make us call PortOne about their own waiting order. The
 * payment PortOne reports must then be of that very order.
 */
void ft_handle_payment_webhook(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    char imp_uid[FT_IMP_UID_SIZE] = "", named[sizeof ((struct ft_payment_order *)0)->merchant_uid] = "";
    struct ft_payment_order o;
    enum ft_store_result result = FT_STORE_NOT_FOUND;
    if (!payments_on(app, resp) || !read_notice(req, imp_uid, named, sizeof named, resp))
        return;
    if (!notice_order(app, named, &o, &result, resp))
        return;
    const char *outcome = result == FT_STORE_OK ? o.status : "IGNORED";
    struct ft_portone_payment payment = { .status = FT_PORTONE_STATUS_OTHER };
    if (result == FT_STORE_OK && strcmp(o.status, "PREPARED") == 0) {
        if (!fetch(app, imp_uid, &payment, resp))
            return;
        PGconn *db = ft_handler_db(app, resp);
        if (db == NULL)
            return;
        /* Read again: the buyer's own confirmation may have settled it meanwhile. */
        result = ft_store_payment_order(db, 0, 0, named, &o);
        outcome = result == FT_STORE_OK ? o.status : "IGNORED";
        if (strcmp(payment.merchant_uid, named) != 0) {
            outcome = "IGNORED"; /* the notice paired a payment with another order than its own */
        } else if (result == FT_STORE_OK && payment.status == FT_PORTONE_STATUS_PAID &&
                   strcmp(o.status, "PREPARED") == 0) {
            struct ft_response settled = { 0 };
            settle(app, db, &o, imp_uid, &payment, &settled);
            outcome = settled.status < 300 ? "CONFIRMING" : settled.status == 409 ? "REFUSED" : "RETRY";
            free(settled.body);
        }
        ft_db_release(app->db, db);
    }
    ft_log_info("payment.webhook", "imp_uid=%s merchant_uid=%s portone_status=%s result=%s", imp_uid, named,
                ft_portone_status_name(payment.status), outcome);
    if (result != FT_STORE_OK && result != FT_STORE_NOT_FOUND)
        ft_respond_stored(resp, result, 200, NULL, "");
    else if (strcmp(outcome, "RETRY") == 0)
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the payment could not be recorded now; send the notice again");
    else
        ft_respond_json(resp, 200, json_pack("{s:s, s:s}", "impUid", imp_uid, "result", outcome));
}
