#include "refunds.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/clock.h"
#include "ft/command.h"
#include "ft/db_pool.h"
#include "ft/log.h"
#include "ft/portone.h"
#include "stranded_orders.h"

/* The pause of a thread that found no refund due. */
#define IDLE_MS 250
/* How often one of the threads asks PortOne about orders whose notice never came, and
 * about how many at most (stranded_orders.h). */
#define STRANDED_EVERY_MS 5000
#define STRANDED_PER_TURN 20

struct ft_refunds {
    const struct ft_config *config;
    struct ft_portone *portone;
    pthread_t *threads;
    int thread_count; /* started */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    atomic_uint_fast64_t completed, failed_attempts;
    atomic_int_fast64_t next_stranded_ms; /* monotonic */
};

/* One leased refund. */
struct due_refund {
    char id[24], imp_uid[FT_IMP_UID_SIZE], attempt[16];
    int64_t amount;
};

static void log_db(const char *what, const PGresult *res)
{
    const char *why = res ? PQresultErrorMessage(res) : "no result";
    ft_log_warn("refunds.db_failed", "step=%s error=\"%.*s\"", what, (int)strcspn(why, "\n"), why);
}

/*
 * Leases the refund due longest, if any: its attempt is counted, a STARTED attempt row
 * written, and its next attempt moved out by lease_s, which keeps the other threads (and
 * other expirers) off it while this attempt runs. One at a time: a refund leased in a
 * batch would wait its turn behind the others' calls while its lease ran out.
 */
static int lease(PGconn *db, int lease_s, struct due_refund *out)
{
    PGresult *res = ft_db_query_int(
        db,
        "WITH claimed AS ("
        "  UPDATE refunds r SET attempts = r.attempts + 1, next_attempt_at = now() + make_interval(secs => $1::int)"
        "  FROM (SELECT id FROM refunds WHERE status = 'DUE' AND next_attempt_at <= now()"
        "        ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) d"
        "  WHERE r.id = d.id RETURNING r.id, r.imp_uid, r.amount, r.attempts),"
        " started AS (INSERT INTO refund_attempts (refund_id, attempt) SELECT id, attempts FROM claimed)"
        " SELECT id, imp_uid, amount, attempts FROM claimed",
        lease_s);
    int n = -1;
    if (ft_db_ok(res)) {
        n = PQntuples(res) > 0 ? 1 : 0;
        if (n == 1) {
            snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, 0, 0));
            snprintf(out->imp_uid, sizeof out->imp_uid, "%s", PQgetvalue(res, 0, 1));
            out->amount = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
            snprintf(out->attempt, sizeof out->attempt, "%s", PQgetvalue(res, 0, 3));
        }
    } else {
        log_db("lease", res);
    }
    PQclear(res);
    return n;
}

/*
 * Records how an attempt ended and, when PortOne has the refund done, the refund and its
 * payment too: one statement, so all of it or none. A refund still due is tried again
 * after the back-off: 1 s after its first attempt, doubling up to max_wait_s. Only the
 * refund's latest attempt sets that time: an attempt that outlived its lease must not
 * hand the refund to another thread while the attempt leased after it is still running.
 */
static bool record(PGconn *db, const struct due_refund *r, const char *result, const char *detail, bool done,
                   int max_wait_s)
{
    char max_wait[16];
    snprintf(max_wait, sizeof max_wait, "%d", max_wait_s);
    const char *params[] = { r->id, r->attempt, result, detail, done ? "true" : "false", max_wait };
    PGresult *res = ft_db_query(
        db,
        "WITH attempt AS (UPDATE refund_attempts SET result = $3, detail = left($4, 500), ended_at = now()"
        "                 WHERE refund_id = $1 AND attempt = $2),"
        " refund AS (UPDATE refunds SET"
        "              status = CASE WHEN $5::boolean THEN 'DONE' ELSE status END,"
        "              completed_at = CASE WHEN $5::boolean THEN now() END,"
        "              next_attempt_at = CASE WHEN $5::boolean OR attempts <> $2::int THEN next_attempt_at"
        "                ELSE now() + make_interval(secs => least($6::int, power(2, least(attempts - 1, 20)))) END"
        "            WHERE id = $1 AND status = 'DUE' RETURNING imp_uid, status)"
        " UPDATE payments SET status = 'REFUNDED', updated_at = now()"
        " WHERE imp_uid IN (SELECT imp_uid FROM refund WHERE status = 'DONE') AND status = 'REFUND_DUE'",
        6, params);
    bool ok = ft_db_ok(res);
    if (!ok)
        log_db("record", res);
    PQclear(res);
    return ok;
}

/*
 * Whether PortOne's payment has nothing left to give back. A refund is of all that was
 * left of the payment when it became due; comparing what PortOne cancelled in all with
 * this refund's amount would count a cancel made before it (a partial one in PortOne's
 * console) as this refund done.
 */
static bool refunded(const struct ft_portone_payment *p)
{
    return p->status == FT_PORTONE_STATUS_CANCELLED || p->cancel_amount >= p->amount;
}

/*
 * Whether part of the payment was cancelled outside our system (in PortOne's console)
 * after this refund became due: something is left, but less than the refund's amount, so
 * PortOne refuses the refund's checksum, and would refuse it forever.
 */
static bool cancelled_in_part_since(const struct ft_portone_payment *p, const struct due_refund *r)
{
    int64_t left = p->amount - p->cancel_amount;
    return p->status == FT_PORTONE_STATUS_PAID && left > 0 && left < r->amount;
}

/* One attempt at one refund. */
static void attempt(struct ft_refunds *rf, PGconn *db, const struct due_refund *r)
{
    struct ft_portone_payment payment;
    int64_t started = ft_clock_monotonic_ms();
    /* The checksum is the whole amount: we refund in full, once; a second cancel is refused. */
    enum ft_portone_result result =
        ft_portone_cancel(rf->portone, r->imp_uid, r->amount, r->amount, "Fair Ticket refund", &payment);
    const char *outcome = NULL;
    char detail[300] = "";
    if (result == FT_PORTONE_OK && refunded(&payment)) {
        outcome = "REFUNDED";
    } else if (result == FT_PORTONE_REFUSED || result == FT_PORTONE_OK) {
        /* Refused: perhaps an earlier attempt did it before we could record it. Look. */
        snprintf(detail, sizeof detail, "%s", payment.message);
        enum ft_portone_result looked = ft_portone_get_payment(rf->portone, r->imp_uid, &payment);
        if (looked == FT_PORTONE_OK && refunded(&payment)) {
            outcome = "ALREADY_REFUNDED";
        } else if (looked == FT_PORTONE_OK && cancelled_in_part_since(&payment, r)) {
            /* All that is left goes back, with its own checksum: a second such cancel is
             * refused too. The refund's amount stays what was due: the buyer had the rest
             * back through the cancel made at PortOne. */
            int64_t left = payment.amount - payment.cancel_amount;
            result = ft_portone_cancel(rf->portone, r->imp_uid, left, left, "Fair Ticket refund", &payment);
            if (result == FT_PORTONE_OK && refunded(&payment))
                outcome = "REFUNDED";
            snprintf(detail, sizeof detail, "the %" PRId64 " left after %" PRId64 " was cancelled at PortOne: %.200s",
                     left, r->amount - left, outcome != NULL ? "refunded" : payment.message);
        }
    }
    if (outcome == NULL) {
        static const char *const names[] = { [FT_PORTONE_OK] = "REFUSED", [FT_PORTONE_NOT_FOUND] = "NOT_FOUND",
                                             [FT_PORTONE_UNAUTHORIZED] = "UNAUTHORIZED",
                                             [FT_PORTONE_UNAVAILABLE] = "UNAVAILABLE",
                                             [FT_PORTONE_REFUSED] = "REFUSED" };
        outcome = names[result];
        if (detail[0] == '\0')
            snprintf(detail, sizeof detail, "%s", payment.message);
    }
    bool done = strcmp(outcome, "REFUNDED") == 0 || strcmp(outcome, "ALREADY_REFUNDED") == 0;
    if (record(db, r, outcome, detail, done, rf->config->refund_retry_max_seconds) && done)
        atomic_fetch_add(&rf->completed, 1);
    if (!done)
        atomic_fetch_add(&rf->failed_attempts, 1);
    ft_log_info("refunds.attempt", "refund=%s imp_uid=%s attempt=%s amount=%" PRId64 " result=%s took_ms=%" PRId64,
                r->id, r->imp_uid, r->attempt, r->amount, outcome, ft_clock_monotonic_ms() - started);
}

static bool stopping(struct ft_refunds *rf)
{
    pthread_mutex_lock(&rf->lock);
    bool stop = rf->stopping;
    pthread_mutex_unlock(&rf->lock);
    return stop;
}

/* Waits up to ms, or until stopped; true when stopping. */
static bool pause_or_stop(struct ft_refunds *rf, int ms)
{
    struct timespec until = ft_clock_deadline(ms);
    pthread_mutex_lock(&rf->lock);
    while (!rf->stopping && pthread_cond_timedwait(&rf->wake, &rf->lock, &until) == 0)
        ;
    bool stopping = rf->stopping;
    pthread_mutex_unlock(&rf->lock);
    return stopping;
}

/*
 * How long a leased refund is kept from the other threads: its attempt usually makes one
 * or two calls (the cancel, and the look-up after a refusal), each bounded by the timeout.
 * One that takes longer (a renewed token, the cancel of what is left) may overlap the
 * next attempt; that risks only a second cancel, which PortOne refuses by its checksum,
 * and record() lets only the latest attempt reschedule the refund.
 */
static int lease_seconds(const struct ft_config *config)
{
    return 2 * ((config->portone_timeout_ms + 999) / 1000) + 2;
}

/* One of the retrier's threads: leases a due refund and attempts it, until stopped. */
static void *retrier_main(void *arg)
{
    struct ft_refunds *rf = arg;
    PGconn *db = PQconnectdb(rf->config->database_url);
    do {
        if (PQstatus(db) != CONNECTION_OK)
            PQreset(db);
        struct due_refund due;
        while (PQstatus(db) == CONNECTION_OK && lease(db, lease_seconds(rf->config), &due) == 1) {
            attempt(rf, db, &due);
            if (stopping(rf))
                break;
        }
        /* Refunds first; then, every STRANDED_EVERY_MS, the one thread that claims the turn. */
        int_fast64_t now = ft_clock_monotonic_ms(), next = atomic_load(&rf->next_stranded_ms);
        if (PQstatus(db) == CONNECTION_OK && now >= next &&
            atomic_compare_exchange_strong(&rf->next_stranded_ms, &next, now + STRANDED_EVERY_MS))
            (void)ft_stranded_orders_once(rf->config, db, rf->portone, STRANDED_PER_TURN);
    } while (!pause_or_stop(rf, IDLE_MS));
    PQfinish(db);
    return NULL;
}

struct ft_refunds *ft_refunds_start(const struct ft_config *config)
{
    if (config->portone_base_url[0] == '\0') {
        ft_log_warn("refunds.off", "reason=\"FT_PORTONE_BASE_URL is not set: refunds wait in the outbox\"");
        return NULL;
    }
    struct ft_refunds *rf = calloc(1, sizeof *rf);
    if (rf == NULL)
        return NULL;
    rf->config = config;
    rf->portone = ft_portone_new(config->portone_base_url, config->portone_imp_key, config->portone_imp_secret,
                                 config->portone_timeout_ms);
    rf->threads = calloc((size_t)config->refund_threads, sizeof *rf->threads);
    pthread_mutex_init(&rf->lock, NULL);
    pthread_cond_init(&rf->wake, NULL); /* ft_clock_deadline gives CLOCK_REALTIME instants */
    if (rf->portone != NULL && rf->threads != NULL) {
        while (rf->thread_count < config->refund_threads &&
               pthread_create(&rf->threads[rf->thread_count], NULL, retrier_main, rf) == 0)
            rf->thread_count++;
    }
    if (rf->thread_count < config->refund_threads) {
        ft_log_error("refunds.start_failed", "portone=%d threads=%d of %d", rf->portone != NULL, rf->thread_count,
                     config->refund_threads);
        ft_refunds_stop(rf);
        return NULL;
    }
    ft_log_info("refunds.started", "portone=%s threads=%d retry_max_s=%d", config->portone_base_url,
                rf->thread_count, config->refund_retry_max_seconds);
    return rf;
}

void ft_refunds_stop(struct ft_refunds *rf)
{
    if (rf == NULL)
        return;
    pthread_mutex_lock(&rf->lock);
    rf->stopping = true;
    pthread_cond_broadcast(&rf->wake);
    pthread_mutex_unlock(&rf->lock);
    for (int i = 0; i < rf->thread_count; i++)
        pthread_join(rf->threads[i], NULL);
    free(rf->threads);
    ft_portone_free(rf->portone);
    pthread_cond_destroy(&rf->wake);
    pthread_mutex_destroy(&rf->lock);
    free(rf);
}

void ft_refunds_counts(struct ft_refunds *rf, struct ft_refund_counts *out)
{
    *out = (struct ft_refund_counts){ 0 };
    if (rf != NULL) {
        out->completed = atomic_load(&rf->completed);
        out->failed_attempts = atomic_load(&rf->failed_attempts);
    }
}
