/*
 * The owner's actions on their reservations: GET /api/v1/reservations/my and
 * DELETE /api/v1/reservations/{id}.
 *
 * A cancel changes seat state, so it goes through the schedule's partition like every
 * other seat change: the ingress checks ownership and status, puts a CANCEL command on
 * the partition, and answers 202 once Kafka has it. The worker ends the reservation only
 * if it is still the owner's live one at that point of the log, so a repeated cancel
 * changes nothing, and a cancel can never release seats that were sold again. A PAID
 * reservation is cancelled the same way; the worker puts its refund in the outbox in the
 * same transaction (the expirer's retrier carries it out).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchange.h"
#include "ft/clock.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "handlers.h"
#include "pipeline.h"
#include "response.h"

void ft_handle_my_reservations(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_my_reservations(db, req->caller.user_id, &json);
    ft_db_release(app->db, db);
    ft_respond_stored(resp, result, 200, json, "");
}

/* One cancel from the handler to its deferred answer. */
struct pending_cancel {
    struct ft_delivery delivery; /* first: see cancel_delivered() */
    struct ft_app *app;
    struct ft_async *async;
    int64_t reservation_id, user_id;
    char request_id[65];
    bool answered;             /* answered without a command: */
    struct ft_response answer; /* that answer */
    rd_kafka_resp_err_t err;   /* written before the resume, read after it */
};

static void cancel_delivered(struct ft_delivery *delivery, rd_kafka_resp_err_t err, int32_t partition, int64_t offset)
{
    struct pending_cancel *pc =
        (struct pending_cancel *)(void *)((char *)delivery - offsetof(struct pending_cancel, delivery));
    pc->err = err;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_info("reservation.cancel_queued", "rid=%s reservation=%" PRId64 " partition=%d offset=%" PRId64,
                    pc->request_id, pc->reservation_id, partition, offset);
    ft_async_resume(pc->async);
}

/* HTTP thread, after the resume. */
static void cancel_finish(void *ctx, struct ft_response *resp)
{
    struct pending_cancel *pc = ctx;
    if (pc->answered) {
        *resp = pc->answer;
        pc->answer.body = NULL;
    } else if (pc->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the reservation queue did not take the cancel; try again shortly");
    } else {
        ft_respond_json(resp, 202,
                        json_pack("{s:I, s:s}", "id", (json_int_t)pc->reservation_id, "status", "CANCELLING"));
    }
}

static void cancel_release(void *ctx)
{
    struct pending_cancel *pc = ctx;
    free(pc->answer.body);
    free(pc);
}

static void answer_now(struct pending_cancel *pc)
{
    pc->answered = true;
    ft_async_resume(pc->async);
}

/* Puts the CANCEL on the schedule's partition; the delivery report resumes the exchange. */
static void queue_cancel(struct pending_cancel *pc, int64_t schedule_id)
{
    int32_t partitions = ft_pipeline_partitions(pc->app->pipeline);
    struct ft_command cmd = { .type = FT_CMD_CANCEL, .ts_ms = ft_clock_wall_ms(), .schedule_id = schedule_id,
                              .user_id = pc->user_id, .reservation_id = pc->reservation_id };
    char payload[256];
    size_t len = ft_command_encode(&cmd, payload, sizeof payload);
    if (partitions <= 0 || len == 0) {
        pc->err = RD_KAFKA_RESP_ERR__TRANSPORT; /* cancel_finish answers 503 */
        ft_async_resume(pc->async);
        return;
    }
    rd_kafka_resp_err_t queued = ft_pipeline_produce(
        pc->app->pipeline, ft_kafka_schedule_partition(schedule_id, partitions), schedule_id, payload, len,
        &pc->delivery);
    if (queued != RD_KAFKA_RESP_ERR_NO_ERROR) {
        pc->err = queued;
        ft_async_resume(pc->async);
    }
}

/* Blocking pool: whose reservation it is and whether it is still live, from PostgreSQL;
 * then the cancel is queued, or the answer given without one. */
static void check_then_cancel(void *ctx)
{
    struct pending_cancel *pc = ctx;
    struct ft_response *resp = &pc->answer;
    PGconn *db = ft_handler_db(pc->app, resp);
    if (db == NULL) {
        answer_now(pc);
        return;
    }
    struct ft_owned_reservation owned;
    enum ft_store_result result = ft_store_reservation_of(db, pc->reservation_id, pc->user_id, &owned);
    ft_db_release(pc->app->db, db);
    if (result != FT_STORE_OK) {
        ft_respond_stored(resp, result, 200, NULL, "you have no reservation with this id");
        answer_now(pc);
        return;
    }
    bool paid = strcmp(owned.status, "PAID") == 0;
    if (!paid && (strcmp(owned.status, "HELD") != 0 || owned.past_expiry)) {
        /* Already over: answering its state again changes nothing. */
        const char *status = strcmp(owned.status, "HELD") == 0 ? "EXPIRED" : owned.status;
        ft_respond_json(resp, 200, json_pack("{s:I, s:s}", "id", (json_int_t)pc->reservation_id, "status", status));
        answer_now(pc);
        return;
    }
    queue_cancel(pc, owned.schedule_id);
}

/* On an HTTP thread, which must not wait on PostgreSQL: the connection is suspended and
 * the ownership check runs on the blocking pool, which then queues the cancel. */
void ft_handle_reservation_cancel(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct pending_cancel *pc = calloc(1, sizeof *pc);
    if (pc == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is short of memory; try again shortly");
        return;
    }
    *pc = (struct pending_cancel){ .app = app, .reservation_id = req->path_id,
                                   .user_id = req->caller.user_id, .delivery.done = cancel_delivered,
                                   .answer = { .status = 500, .content_type = "application/json" } };
    snprintf(pc->request_id, sizeof pc->request_id, "%s", req->request_id);
    /* Suspend first: the pool, then the delivery report, answer on other threads. */
    if ((pc->async = ft_async_defer(req, cancel_finish, cancel_release, pc)) == NULL) { /* cannot happen */
        free(pc);
        ft_respond_fail(resp, 500, "INTERNAL", "internal error");
        return;
    }
    if (ft_async_run_blocking(req, check_then_cancel, pc))
        return;
    ft_respond_pool_full(&pc->answer);
    answer_now(pc);
}
