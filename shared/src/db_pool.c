#include "ft/clock.h"
#include "ft/db_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/log.h"

struct slot {
    PGconn *conn; /* NULL until first use, or after a failure */
    bool busy;
};

struct ft_db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *url;
    int size;
    struct slot slots[];
};

struct ft_db_pool *ft_db_pool_new(const char *url, int size)
{
    if (size < 1)
        return NULL;
    struct ft_db_pool *pool = calloc(1, sizeof *pool + (size_t)size * sizeof(struct slot));
    if (pool == NULL)
        return NULL;
    pool->url = strdup(url);
    if (pool->url == NULL) {
        free(pool);
        return NULL;
    }
    pool->size = size;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    return pool;
}

static PGconn *open_connection(const char *url)
{
    const char *keys[] = { "dbname", "connect_timeout", "options", "application_name", NULL };
    /* Generic plans: every statement here looks rows up by key, and ft_db_query prepares
     * it once. Left to choose, PostgreSQL kept planning the payment order's join on every
     * call (0.48 ms, 51 s of one on-sale benchmark), because its early custom plans, made
     * while the tables were nearly empty, set the cost a generic plan had to beat.
     * No JIT: it pays off for long scans, not for these. A seat map (10,000 index lookups
     * by the planner's estimate) crossed jit_above_cost and was compiled again on every
     * call, 15.6 ms of its 109 ms in one EXPLAIN ANALYZE. */
    const char *values[] = { url, "3", "-c statement_timeout=10000 -c plan_cache_mode=force_generic_plan -c jit=off",
                             "fairticket", NULL };
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
        return conn;
    const char *why = conn ? PQerrorMessage(conn) : "out of memory";
    ft_log_warn("db.connect_failed", "error=\"%.*s\"", (int)strcspn(why, "\n"), why);
    PQfinish(conn);
    return NULL;
}

static struct slot *slot_of(struct ft_db_pool *pool, PGconn *conn)
{
    for (int i = 0; i < pool->size; i++)
        if (pool->slots[i].conn == conn && pool->slots[i].busy)
            return &pool->slots[i];
    return NULL;
}

PGconn *ft_db_acquire(struct ft_db_pool *pool, int timeout_ms)
{
    struct timespec deadline = ft_clock_deadline(timeout_ms);
    struct slot *slot = NULL;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        for (int i = 0; i < pool->size && slot == NULL; i++)
            if (!pool->slots[i].busy)
                slot = &pool->slots[i];
        if (slot != NULL)
            break;
        if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT)
            break;
    }
    if (slot != NULL)
        slot->busy = true;
    pthread_mutex_unlock(&pool->lock);
    if (slot == NULL)
        return NULL;

    /* Connecting happens outside the lock: it may take seconds. */
    if (slot->conn != NULL && PQstatus(slot->conn) != CONNECTION_OK) {
        PQfinish(slot->conn);
        slot->conn = NULL;
    }
    if (slot->conn == NULL)
        slot->conn = open_connection(pool->url);
    if (slot->conn == NULL) {
        pthread_mutex_lock(&pool->lock);
        slot->busy = false;
        pthread_cond_signal(&pool->freed);
        pthread_mutex_unlock(&pool->lock);
    }
    return slot->conn;
}

void ft_db_release(struct ft_db_pool *pool, PGconn *conn)
{
    if (conn == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    struct slot *slot = slot_of(pool, conn);
    pthread_mutex_unlock(&pool->lock);
    if (slot == NULL)
        return;
    if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PQfinish(conn);
        slot->conn = NULL;
    }
    pthread_mutex_lock(&pool->lock);
    slot->busy = false;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void ft_db_pool_free(struct ft_db_pool *pool)
{
    if (pool == NULL)
        return;
    for (int i = 0; i < pool->size; i++)
        PQfinish(pool->slots[i].conn);
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    free(pool->url);
    free(pool);
}

bool ft_db_ok(const PGresult *result)
{
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

void ft_db_log_failure(const char *event, const PGresult *result)
{
    const char *why = result != NULL ? PQresultErrorMessage(result) : "out of memory";
    ft_log_warn(event, "error=\"%.*s\"", (int)strcspn(why, "\n"), why);
}

const char *ft_db_sqlstate(const PGresult *result)
{
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    return state ? state : "";
}
