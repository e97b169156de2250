/*
 * POST /api/v1/reservations and GET /api/v1/reservations/requests/{token}.
 *
 * A reservation request is checked against the in-memory catalog, then becomes a RESERVE
 * command on the commands topic. Its answer is deferred (exchange.h) until Kafka has
 * acknowledged the command: 202 {token, position, pollAfterMs} once it is durable, 503
 * when Kafka did not take it. A poll is answered from the token registry, and from
 * PostgreSQL for a decided token no longer in memory.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"
#include "ft/clock.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "handlers.h"
#include "key_binder.h"
#include "pipeline.h"
#include "request_token.h"
#include "reservation_body.h"
#include "response.h"
#include "wait_estimate.h"

/* A key bound longer ago than this to a token nobody knows belongs to a request that
 * never reached Kafka (its ingress died before it could unbind it): it is rebound. */
#define IDEMPOTENCY_STALE_MS 30000

/* One reservation request from the handler to its deferred answer. */
struct pending {
    struct ft_delivery delivery; /* the pipeline's callback; see delivered() */
    struct ft_app *app;
    struct ft_async *async;
    struct ft_command cmd;
    int32_t partition;
    char request_id[65];
    char key[FT_IDEMPOTENCY_KEY_MAX + 1]; /* "" without Idempotency-Key */
    /* What it asks for (ft_reservation_fingerprint), kept with the key. */
    char request[FT_RESERVATION_FINGERPRINT_SIZE];
    bool key_bound;                       /* our row in idempotency_keys: unbind it if Kafka refuses */
    struct ft_key_bind bind;              /* the key on its way through the key binder */
    const struct ft_request *req;         /* valid while deferred: for the blocking pool */
    bool key_answered;                    /* the key named an earlier request, or could not be bound: */
    struct ft_response key_answer;        /* the answer, given at finish */
    struct ft_error refusal;              /* why the catalog refused it (a keyed retry after the close) */
    /* Written by the producer's poll thread before it resumes the exchange, read by the
     * HTTP thread after the resume (libmicrohttpd's resume orders the two). */
    rd_kafka_resp_err_t err;
    int64_t offset;
};

/* The 202 and the answers to polls are written with ft_json_writer: one of each per request. */
static void answer_accepted(struct ft_response *resp, const char *token, int64_t position, double rate)
{
    struct ft_json_writer *w = ft_json_writer_new();
    if (w != NULL) {
        ft_json_begin_object(w);
        ft_json_member_string(w, "token", token);
        ft_json_member_int(w, "position", position);
        ft_json_member_int(w, "pollAfterMs", ft_wait_poll_after_ms(position, rate));
        ft_json_end_object(w);
    }
    ft_respond_written(resp, 202, w);
}

/* Position of a token just acknowledged, from the registry when it holds it. */
static void answer_known(struct ft_app *app, struct ft_response *resp, const char *token, int32_t partition,
                         int64_t offset)
{
    struct ft_registry *registry = ft_pipeline_registry(app->pipeline);
    struct ft_token_view view;
    if (ft_registry_find(registry, token, &view)) {
        answer_accepted(resp, token, view.state == FT_TOKEN_WAITING ? view.position : 0, view.rate_per_sec);
        return;
    }
    int64_t next = ft_registry_next_offset(registry, partition);
    answer_accepted(resp, token, offset >= 0 ? ft_wait_position(offset, next) : 0, 0);
}

/* --- the deferred answer ------------------------------------------------------------- */

/* Frees the key of a request that did not reach Kafka, so that its retry can; then the 503
 * goes out, after the key is free (the client's retry may come at once). See refused(). */
static void unbind_then_answer(void *ctx)
{
    struct pending *pd = ctx;
    pd->key_bound = false;
    PGconn *db = ft_db_acquire(pd->app->db, FT_DB_ACQUIRE_MS);
    enum ft_store_result result = FT_STORE_UNAVAILABLE;
    if (db != NULL) {
        result = ft_store_idempotency_unbind(db, pd->cmd.user_id, pd->key, pd->cmd.token);
        ft_db_release(pd->app->db, db);
    }
    if (result != FT_STORE_OK)
        ft_log_warn("reservation.key_kept", "rid=%s note=\"rebound after %d s by a retry\"", pd->request_id,
                    IDEMPOTENCY_STALE_MS / 1000);
    ft_async_resume(pd->async);
}

/* Kafka did not take pd's command (on the producer's poll thread, the key binder's or the
 * blocking pool's, never an HTTP thread's): its key, if it has one, is freed, then finish
 * answers 503. The unbind goes to the blocking pool; when Kafka fails every request at once
 * and the pool's queue is full, it is done here rather than leave the keys bound, which
 * would answer their retries 409 for IDEMPOTENCY_STALE_MS. */
static void refused(struct pending *pd, rd_kafka_resp_err_t err)
{
    pd->err = err;
    if (!pd->key_bound)
        ft_async_resume(pd->async);
    else if (!ft_async_run_blocking(pd->req, unbind_then_answer, pd))
        unbind_then_answer(pd);
}

/* Producer's poll thread: Kafka has the command, or gave up on it. */
static void delivered(struct ft_delivery *delivery, rd_kafka_resp_err_t err, int32_t partition, int64_t offset)
{
    struct pending *pd = (struct pending *)(void *)((char *)delivery - offsetof(struct pending, delivery));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        refused(pd, err);
        return;
    }
    pd->partition = partition;
    pd->offset = offset;
    enum ft_registry_add added =
        ft_registry_add(ft_pipeline_registry(pd->app->pipeline), pd->cmd.token, pd->cmd.user_id, pd->cmd.schedule_id,
                        partition, offset >= 0 ? offset : -1, ft_pipeline_now_ms());
    if (added == FT_REGISTRY_FULL)
        ft_log_warn("reservation.registry_full", "rid=%s", pd->request_id);
    ft_log_info("reservation.queued", "rid=%s user=%" PRId64 " schedule=%" PRId64 " partition=%d offset=%" PRId64,
                pd->request_id, pd->cmd.user_id, pd->cmd.schedule_id, partition, offset);
    ft_async_resume(pd->async);
}

/* HTTP thread, after the resume: the answer. */
static void finish(void *ctx, struct ft_response *resp)
{
    struct pending *pd = ctx;
    if (pd->key_answered) {
        *resp = pd->key_answer;
        pd->key_answer.body = NULL;
        return;
    }
    if (pd->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ft_pipeline_count_refused(pd->app->pipeline);
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the reservation queue did not take the request; try again shortly");
        return;
    }
    answer_known(pd->app, resp, pd->cmd.token, pd->partition, pd->offset);
}

/* HTTP thread, when the exchange ends (with or without finish). A refused request's key
 * was freed before the resume (refused). */
static void release(void *ctx)
{
    struct pending *pd = ctx;
    free(pd->key_answer.body);
    free(pd);
}

/* --- the request ---------------------------------------------------------------------- */

enum key_claim {
    KEY_CLAIMED,  /* bound to our new token: produce it */
    KEY_ANSWERED, /* resp holds the answer: a retry of a known request, or an error */
};

static void key_reused(struct ft_response *resp)
{
    struct ft_error err;
    (void)ft_fail(&err, 422, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key",
                  "this Idempotency-Key came with another request before; send a new request with a new key");
    ft_respond_error(resp, &err);
}

static void in_progress(const struct ft_request *req, struct ft_response *resp)
{
    ft_request_retry_after(req, 1);
    ft_respond_fail(resp, 409, "REQUEST_IN_PROGRESS",
                    "a request with this Idempotency-Key is still on its way; ask again in a second");
}

/*
 * Answers 202 with `token`, the user's earlier request, when Kafka has it: the registry
 * holds only tokens Kafka has, and request_outcomes only decided ones. NOT_FOUND (nothing
 * answered) when neither knows it; another failure is answered.
 */
static enum ft_store_result answer_if_durable(struct ft_app *app, PGconn *db, int64_t user_id, const char *token,
                                              struct ft_response *resp)
{
    struct ft_token_view view;
    if (ft_registry_find(ft_pipeline_registry(app->pipeline), token, &view)) {
        answer_accepted(resp, token, view.state == FT_TOKEN_WAITING ? view.position : 0, view.rate_per_sec);
        return FT_STORE_OK;
    }
    char *json = NULL;
    enum ft_store_result result = ft_store_request_outcome(db, token, user_id, &json);
    free(json);
    if (result == FT_STORE_OK)
        answer_accepted(resp, token, 0, 0); /* decided already */
    else if (result != FT_STORE_NOT_FOUND)
        ft_respond_stored(resp, result, 202, NULL, "");
    return result;
}

/*
 * The key was bound already when pd's came (CONFLICT): answers for the request it names,
 * 202 with its token when that request is durable (the registry holds only tokens Kafka
 * has, and request_outcomes only decided ones), 409 while it may still be on its way; or
 * takes the key over when it is stale (its request never reached Kafka): KEY_CLAIMED.
 */
static enum key_claim settle_conflict(struct ft_app *app, const struct ft_request *req, struct pending *pd,
                                      struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return KEY_ANSWERED;
    const char *existing = pd->bind.existing;
    bool claimed = false;
    enum ft_store_result result = answer_if_durable(app, db, pd->cmd.user_id, existing, resp);
    if (result != FT_STORE_NOT_FOUND) {
        /* answered: 202 with the earlier token, or the store's failure */
    } else if (pd->bind.age_ms < IDEMPOTENCY_STALE_MS) {
        in_progress(req, resp);
    } else if ((result = ft_store_idempotency_rebind(db, pd->cmd.user_id, pd->key, existing, pd->cmd.token,
                                                    pd->request)) == FT_STORE_OK) {
        ft_log_warn("reservation.key_taken_over", "rid=%s age_ms=%" PRId64, req->request_id, pd->bind.age_ms);
        claimed = true;
    } else if (result == FT_STORE_NOT_FOUND) {
        in_progress(req, resp); /* another retry took it over first */
    } else {
        ft_respond_stored(resp, result, 202, NULL, "");
    }
    ft_db_release(app->db, db);
    pd->key_bound = claimed;
    return claimed ? KEY_CLAIMED : KEY_ANSWERED;
}

/* Why no command can be queued now, or NULL when one can. */
static const char *queue_refusal(struct ft_app *app)
{
    if (ft_registry_saturated(ft_pipeline_registry(app->pipeline)))
        return "the reservation queue is full; try again shortly"; /* a new token could not be followed */
    if (ft_pipeline_partitions(app->pipeline) <= 0)
        return "the reservation queue is unreachable; try again shortly"; /* no broker has answered yet */
    return NULL;
}

/* Puts pd's command on its partition; the delivery report (or the refusal) resumes the exchange. */
static void produce(struct pending *pd)
{
    char payload[1024];
    size_t len = ft_command_encode(&pd->cmd, payload, sizeof payload);
    rd_kafka_resp_err_t queued =
        len == 0 ? RD_KAFKA_RESP_ERR__FAIL /* cannot happen: the body's limits keep it short */
                 : ft_pipeline_produce(pd->app->pipeline, pd->partition, pd->cmd.schedule_id, payload, len,
                                       &pd->delivery);
    if (queued != RD_KAFKA_RESP_ERR_NO_ERROR)
        refused(pd, queued);
}

static void answer_key(struct pending *pd)
{
    pd->key_answered = true;
    ft_async_resume(pd->async);
}

/* Runs run(pd) on the blocking pool, which answers; or answers 503 when the pool is full. */
static void on_pool(struct pending *pd, void (*run)(void *ctx))
{
    if (ft_async_run_blocking(pd->req, run, pd))
        return;
    ft_respond_pool_full(&pd->key_answer);
    answer_key(pd);
}

/*
 * Blocking pool: a keyed request the catalog refused because its schedule has closed. A
 * retry of a request Kafka took before the close gets that request's token, as every
 * retry does: the key names the request, whatever the catalog says now. Otherwise the
 * refusal stands.
 */
static void retry_after_close(void *ctx)
{
    struct pending *pd = ctx;
    struct ft_response *resp = &pd->key_answer;
    PGconn *db = ft_handler_db(pd->app, resp);
    if (db != NULL) {
        char earlier[FT_REQUEST_TOKEN_SIZE];
        bool other_request = false;
        enum ft_store_result result =
            ft_store_idempotency_find(db, pd->cmd.user_id, pd->key, pd->request, earlier, &other_request);
        if (result == FT_STORE_OK && other_request)
            key_reused(resp);
        else if (result == FT_STORE_OK)
            result = answer_if_durable(pd->app, db, pd->cmd.user_id, earlier, resp);
        else if (result != FT_STORE_NOT_FOUND)
            ft_respond_stored(resp, result, 202, NULL, "");
        ft_db_release(pd->app->db, db);
        if (result == FT_STORE_NOT_FOUND)
            ft_respond_error(resp, &pd->refusal);
    }
    answer_key(pd);
}

/* Blocking pool: a key bound before pd's request came. */
static void conflict_then_produce(void *ctx)
{
    struct pending *pd = ctx;
    if (settle_conflict(pd->app, pd->req, pd, &pd->key_answer) == KEY_CLAIMED)
        produce(pd);
    else
        answer_key(pd);
}

/* The key binder's thread: pd's key is bound to its token (produce), or was bound before
 * (the blocking pool reads what it names), or could not be. */
static void key_bound(struct ft_key_bind *bind)
{
    struct pending *pd = (struct pending *)(void *)((char *)bind - offsetof(struct pending, bind));
    struct ft_response *resp = &pd->key_answer;
    switch (bind->result) {
    case FT_STORE_OK:
        pd->key_bound = true;
        produce(pd);
        return;
    case FT_STORE_CONFLICT:
        if (!bind->other_request) {
            on_pool(pd, conflict_then_produce);
            return;
        }
        key_reused(resp);
        break;
    case FT_STORE_NOT_FOUND:
        ft_respond_fail(resp, 401, "INVALID_TOKEN", "the account of this token does not exist");
        break;
    default:
        ft_respond_stored(resp, bind->result, 202, NULL, "");
    }
    answer_key(pd);
}

void ft_handle_reservation_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_catalog *catalog = ft_pipeline_catalog(app->pipeline);
    const char *key = ft_request_header(req, "Idempotency-Key");
    struct ft_error err;
    if (key != NULL && !ft_idempotency_key_valid(key)) {
        (void)ft_fail(&err, 400, "INVALID_HEADER", "Idempotency-Key",
                      "'Idempotency-Key' must be 1 to %d printable ASCII characters", FT_IDEMPOTENCY_KEY_MAX);
        ft_respond_error(resp, &err);
        return;
    }
    if (!ft_catalog_loaded(catalog)) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the catalog is not loaded yet; try again shortly");
        return;
    }
    struct pending *pd = calloc(1, sizeof *pd);
    if (pd == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is out of memory; try again shortly");
        return;
    }
    /* A keyed request for a schedule that has closed may be the retry of one Kafka took
     * before the close: the key says (retry_after_close). */
    bool read = ft_reservation_read(req->body, req->body_len, catalog, &pd->cmd, &err);
    bool closed_retry = !read && key != NULL && strcmp(err.code, "SCHEDULE_CLOSED") == 0;
    if (!read && !closed_retry) {
        free(pd);
        ft_respond_error(resp, &err);
        return;
    }
    const char *refusal = read ? queue_refusal(app) : NULL;
    if (refusal != NULL) {
        free(pd);
        ft_pipeline_count_refused(app->pipeline);
        ft_respond_fail(resp, 503, "UNAVAILABLE", refusal);
        return;
    }
    pd->app = app;
    pd->req = req;
    pd->delivery.done = delivered;
    pd->cmd.ts_ms = ft_clock_wall_ms();
    pd->cmd.user_id = req->caller.user_id;
    pd->cmd.hold_seconds = app->config->hold_seconds;
    ft_request_token_new(pd->cmd.token);
    snprintf(pd->request_id, sizeof pd->request_id, "%s", req->request_id);
    pd->key_answer = (struct ft_response){ .status = 500, .content_type = "application/json" };
    if (key != NULL) {
        snprintf(pd->key, sizeof pd->key, "%s", key);
        ft_reservation_fingerprint(&pd->cmd, pd->request);
    }
    /* Suspend first, then produce: the delivery report may come at once, on another thread. */
    if ((pd->async = ft_async_defer(req, finish, release, pd)) == NULL) { /* cannot happen */
        free(pd);
        ft_respond_fail(resp, 500, "INTERNAL", "internal error");
        return;
    }
    if (closed_retry) {
        pd->refusal = err;
        on_pool(pd, retry_after_close);
        return;
    }
    pd->partition = ft_kafka_schedule_partition(pd->cmd.schedule_id, ft_pipeline_partitions(app->pipeline));
    if (key == NULL) {
        produce(pd);
        return;
    }
    /* The key's row is PostgreSQL's, and binding it waits for a commit: the key binder binds
     * every key that waits with one statement and one commit, off the HTTP thread, which goes
     * on serving its other connections (the browser sends a key with every reservation). The
     * command is produced once the key is ours. */
    pd->bind = (struct ft_key_bind){ .user_id = pd->cmd.user_id, .key = pd->key, .token = pd->cmd.token,
                                     .request = pd->request, .done = key_bound };
    ft_key_binder_submit(app->key_binder, &pd->bind);
}

/* --- polling ---------------------------------------------------------------------------- */

/* A poll's answer: {token, status, ...}, the object left open for the rest; NULL when out of memory. */
static struct ft_json_writer *answer_begin(const char *token, const char *status)
{
    struct ft_json_writer *w = ft_json_writer_new();
    if (w != NULL) {
        ft_json_begin_object(w);
        ft_json_member_string(w, "token", token);
        ft_json_member_string(w, "status", status);
    }
    return w;
}

/* The object closed; NULL stays NULL. */
static struct ft_json_writer *answer_end(struct ft_json_writer *w)
{
    if (w != NULL)
        ft_json_end_object(w);
    return w;
}

static struct ft_json_writer *waiting_answer(const char *token, int64_t position, double rate)
{
    struct ft_json_writer *w = answer_begin(token, "WAITING");
    if (w == NULL)
        return NULL;
    int64_t eta = ft_wait_eta_ms(position, rate);
    ft_json_member_int(w, "position", position);
    ft_json_key(w, "etaMs");
    if (eta >= 0)
        ft_json_int(w, eta);
    else
        ft_json_null(w);
    ft_json_member_int(w, "pollAfterMs", ft_wait_poll_after_ms(position, rate));
    return answer_end(w);
}

/* NULL without a code: PostgreSQL answers then. */
static struct ft_json_writer *rejected_answer(const char *token, const char *code)
{
    struct ft_json_writer *w = code != NULL ? answer_begin(token, "REJECTED") : NULL;
    if (w != NULL)
        ft_json_member_string(w, "code", code);
    return answer_end(w);
}

static int seat_place_order(const void *a, const void *b)
{
    const struct ft_catalog_seat *x = a, *y = b;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* A HELD answer from memory; NULL when the catalog cannot describe its seats (or out of memory). */
static struct ft_json_writer *held_answer(struct ft_app *app, const char *token, const struct ft_token_view *view)
{
    struct ft_catalog_seat seats[FT_SEATS_PER_REQUEST_MAX];
    size_t count = (size_t)view->seat_count;
    if (count == 0 ||
        !ft_catalog_describe(ft_pipeline_catalog(app->pipeline), view->schedule_id, view->seat_ids, count, seats))
        return NULL;
    qsort(seats, count, sizeof seats[0], seat_place_order);
    /* Whole seconds, as PostgreSQL's api_timestamp writes them, so both answers agree. */
    time_t expires = (time_t)(view->expires_at_ms / 1000);
    struct tm utc;
    char expires_at[32];
    gmtime_r(&expires, &utc);
    strftime(expires_at, sizeof expires_at, "%Y-%m-%dT%H:%M:%SZ", &utc);
    struct ft_json_writer *w = answer_begin(token, "HELD");
    if (w == NULL)
        return NULL;
    ft_json_member_int(w, "reservationId", view->reservation_id);
    ft_json_key(w, "seats");
    ft_json_begin_array(w);
    for (size_t i = 0; i < count; i++) {
        ft_json_begin_object(w);
        ft_json_member_int(w, "id", seats[i].id);
        ft_json_member_int(w, "row", seats[i].row);
        ft_json_member_int(w, "number", seats[i].number);
        ft_json_member_string(w, "grade", ft_grade_name((enum ft_grade)seats[i].grade));
        ft_json_member_int(w, "price", seats[i].price);
        ft_json_end_object(w);
    }
    ft_json_end_array(w);
    ft_json_member_int(w, "amount", view->amount);
    ft_json_member_string(w, "expiresAt", expires_at);
    return answer_end(w);
}

static void not_found(struct ft_response *resp)
{
    ft_respond_fail(resp, 404, "NOT_FOUND", "no reservation request of yours has this token");
}

/* Answers from PostgreSQL; `waiting` is the fallback when it has no outcome yet. */
static void answer_from_store(struct ft_app *app, const struct ft_request *req, const char *token, bool waiting,
                              struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_request_outcome(db, token, req->caller.user_id, &json);
    ft_db_release(app->db, db);
    if (result == FT_STORE_NOT_FOUND && waiting) {
        ft_respond_written(resp, 200, waiting_answer(token, 0, 0));
    } else if (result == FT_STORE_NOT_FOUND && (!ft_pipeline_caught_up(app->pipeline) ||
                                                ft_registry_saturated(ft_pipeline_registry(app->pipeline)))) {
        /* it may be a token this server has not read yet, or could not keep */
        ft_respond_fail(resp, 503, "UNAVAILABLE", "this server is still reading the queue; ask again shortly");
    } else {
        ft_respond_stored(resp, result, 200, json, "no reservation request of yours has this token");
        return; /* json freed */
    }
    free(json);
}

static const char *path_token(const struct ft_request *req)
{
    const char *slash = strrchr(req->path, '/');
    return slash != NULL ? slash + 1 : "";
}

/* Blocking pool: a token the registry does not hold (issued before this server started,
 * evicted, or someone's guess). */
static void poll_unknown_from_store(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    answer_from_store(app, req, path_token(req), false, resp);
}

/* Blocking pool: a token of the caller's that the registry knows is decided and stored. */
static void poll_decided_from_store(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    answer_from_store(app, req, path_token(req), true, resp);
}

/* On an HTTP thread: answered from the registry in memory; what needs PostgreSQL goes to
 * the blocking pool, so that a flood of unknown tokens never stalls reservations. */
void ft_handle_reservation_request_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    const char *token = path_token(req);
    if (!ft_request_token_valid(token)) { /* like a path id that is not a number */
        ft_respond_fail(resp, 400, "INVALID_ID", "a request token is 34 characters of A-Z, a-z, 0-9, - and _");
        return;
    }
    struct ft_token_view view;
    if (!ft_registry_find(ft_pipeline_registry(app->pipeline), token, &view)) {
        resp->then_blocking = poll_unknown_from_store;
        return;
    }
    if (view.user_id != req->caller.user_id) { /* someone else's token is nobody's */
        not_found(resp);
        return;
    }
    struct ft_json_writer *answer = NULL;
    switch (view.state) {
    case FT_TOKEN_WAITING:
        answer = waiting_answer(token, view.position, view.rate_per_sec);
        break;
    case FT_TOKEN_HELD:
        answer = held_answer(app, token, &view);
        break;
    case FT_TOKEN_REJECTED:
        answer = rejected_answer(token, view.reject_code);
        break;
    case FT_TOKEN_IN_STORE:
        break;
    }
    if (answer != NULL)
        ft_respond_written(resp, 200, answer);
    else
        resp->then_blocking = view.state == FT_TOKEN_IN_STORE ? poll_decided_from_store : poll_unknown_from_store;
}

/* --- hooks on other routes --------------------------------------------------------------- */

void ft_handle_schedule_create_cached(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    ft_handle_schedule_create(app, req, resp);
    if (resp->status != 201 || resp->body == NULL)
        return;
    json_t *doc = json_loads(resp->body, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(doc, "id"));
    json_decref(doc);
    if (id > 0)
        ft_pipeline_catalog_refresh(app->pipeline, (int64_t)id);
}

void ft_handle_metrics_with_pipeline(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    ft_handle_metrics(app, req, resp);
    if (resp->status != 200 || resp->body == NULL)
        return;
    char *extra = ft_pipeline_metrics(app->pipeline);
    if (extra == NULL)
        return;
    size_t have = strlen(resp->body), more = strlen(extra);
    char *joined = realloc(resp->body, have + more + 1);
    if (joined != NULL) {
        memcpy(joined + have, extra, more + 1);
        resp->body = joined;
    }
    free(extra);
}
