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

/* Refunds attempted per turn at most, and the pause between turns when none is due. */
#define REFUNDS_PER_TURN 20
#define IDLE_MS 250

struct ft_refunds {
    const struct ft_config *config;
    struct ft_portone *portone;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    atomic_uint_fast64_t completed, failed_attempts;
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
 * Leases the refunds that are due: each gets its attempt counted, its next attempt moved
 * out by the back-off (1 s doubling up to FT_REFUND_RETRY_MAX_SECONDS; also the lease
 * that keeps another retrier off it meanwhile), and a STARTED attempt row.
 */
static int lease(PGconn *db, int max_wait_s, struct due_refund *out, int cap)
{
    char max_wait[16], limit[16];
    snprintf(max_wait, sizeof max_wait, "%d", max_wait_s);
    snprintf(limit, sizeof limit, "%d", cap);
    const char *params[] = { max_wait, limit };
    PGresult *res = ft_db_query(
        db,
        "WITH claimed AS ("
        "  UPDATE refunds r SET attempts = r.attempts + 1,"
        "         next_attempt_at = now() + make_interval(secs => least($1::int, power(2, least(r.attempts, 20))))"
        "  FROM (SELECT id FROM refunds WHERE status = 'DUE' AND next_attempt_at <= now()"
        "        ORDER BY next_attempt_at LIMIT $2::int FOR UPDATE SKIP LOCKED) d"
        "  WHERE r.id = d.id RETURNING r.id, r.imp_uid, r.amount, r.attempts),"
        " started AS (INSERT INTO refund_attempts (refund_id, attempt) SELECT id, attempts FROM claimed)"
        " SELECT id, imp_uid, amount, attempts FROM claimed",
        2, params);
    int n = -1;
    if (ft_db_ok(res)) {
        n = PQntuples(res) < cap ? PQntuples(res) : cap;
        for (int i = 0; i < n; i++) {
            snprintf(out[i].id, sizeof out[i].id, "%s", PQgetvalue(res, i, 0));
            snprintf(out[i].imp_uid, sizeof out[i].imp_uid, "%s", PQgetvalue(res, i, 1));
            out[i].amount = strtoll(PQgetvalue(res, i, 2), NULL, 10);
            snprintf(out[i].attempt, sizeof out[i].attempt, "%s", PQgetvalue(res, i, 3));
        }
    } else {
        log_db("lease", res);
    }
    PQclear(res);
    return n;
}

/* Records how an attempt ended and, when PortOne has the refund done, the refund and its
 * payment too: one statement, so all of it or none. */
static bool record(PGconn *db, const struct due_refund *r, const char *result, const char *detail, bool done)
{
    const char *params[] = { r->id, r->attempt, result, detail, done ? "true" : "false" };
    PGresult *res = ft_db_query(
        db,
        "WITH attempt AS (UPDATE refund_attempts SET result = $3, detail = left($4, 500), ended_at = now()"
        "                 WHERE refund_id = $1 AND attempt = $2),"
        " refund AS (UPDATE refunds SET status = 'DONE', completed_at = now()"
        "            WHERE id = $1 AND status = 'DUE' AND $5::boolean RETURNING imp_uid)"
        " UPDATE payments SET status = 'REFUNDED', updated_at = now()"
        " WHERE imp_uid IN (SELECT imp_uid FROM refund) AND status = 'REFUND_DUE'",
        5, params);
    bool ok = ft_db_ok(res);
    if (!ok)
        log_db("record", res);
    PQclear(res);
    return ok;
}

/* Whether PortOne's payment shows the whole amount given back. */
static bool refunded(const struct ft_portone_payment *p, int64_t amount)
{
    return p->status == FT_PORTONE_STATUS_CANCELLED || p->cancel_amount >= amount;
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
    if (result == FT_PORTONE_OK && refunded(&payment, r->amount)) {
        outcome = "REFUNDED";
    } else if (result == FT_PORTONE_REFUSED || result == FT_PORTONE_OK) {
        /* Refused: perhaps an earlier attempt did it before we could record it. Look. */
        snprintf(detail, sizeof detail, "%s", payment.message);
        enum ft_portone_result looked = ft_portone_get_payment(rf->portone, r->imp_uid, &payment);
        if (looked == FT_PORTONE_OK && refunded(&payment, r->amount))
            outcome = "ALREADY_REFUNDED";
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
    if (record(db, r, outcome, detail, done) && done)
        atomic_fetch_add(&rf->completed, 1);
    if (!done)
        atomic_fetch_add(&rf->failed_attempts, 1);
    ft_log_info("refunds.attempt", "refund=%s imp_uid=%s attempt=%s amount=%" PRId64 " result=%s took_ms=%" PRId64,
                r->id, r->imp_uid, r->attempt, r->amount, outcome, ft_clock_monotonic_ms() - started);
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

static void *retrier_main(void *arg)
{
    struct ft_refunds *rf = arg;
    PGconn *db = PQconnectdb(rf->config->database_url);
    do {
        if (PQstatus(db) != CONNECTION_OK)
            PQreset(db);
        struct due_refund due[REFUNDS_PER_TURN];
        int n = PQstatus(db) == CONNECTION_OK ? lease(db, rf->config->refund_retry_max_seconds, due, REFUNDS_PER_TURN)
                                              : -1;
        for (int i = 0; i < n; i++)
            attempt(rf, db, &due[i]);
        if (n == REFUNDS_PER_TURN)
            continue; /* more may be due: at once */
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
    pthread_mutex_init(&rf->lock, NULL);
    pthread_cond_init(&rf->wake, NULL); /* ft_clock_deadline gives CLOCK_REALTIME instants */
    if (rf->portone == NULL || pthread_create(&rf->thread, NULL, retrier_main, rf) != 0) {
        ft_log_error("refunds.start_failed", "portone=%d", rf->portone != NULL);
        ft_portone_free(rf->portone);
        free(rf);
        return NULL;
    }
    ft_log_info("refunds.started", "portone=%s retry_max_s=%d", config->portone_base_url,
                config->refund_retry_max_seconds);
    return rf;
}

void ft_refunds_stop(struct ft_refunds *rf)
{
    if (rf == NULL)
        return;
    pthread_mutex_lock(&rf->lock);
    rf->stopping = true;
    pthread_cond_signal(&rf->wake);
    pthread_mutex_unlock(&rf->lock);
    pthread_join(rf->thread, NULL);
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
