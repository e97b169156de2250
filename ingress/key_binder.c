#include "key_binder.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "ft/log.h"
#include "ft/strbuf.h"
#include "ft/unnest_columns.h"

/* Keys per statement at most; more wait for the next one. */
#define BATCH_MAX 512
/* A key neither bound nor found (its twin in the same batch, or another ingress, bound it
 * meanwhile) is asked again in the next batch, this many times at most. */
#define ATTEMPTS_MAX 3

struct ft_key_binder {
    struct ft_db_pool *pool;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct ft_key_bind *head, *tail;
    bool stopping;
    pthread_t thread;
};

static void finish(struct ft_key_bind *bind, enum ft_store_result result)
{
    bind->result = result;
    bind->done(bind);
}

/*
 * Inserts every key that is not bound yet and reads, for the others, the token they are
 * bound to and whether that was for another request, in one statement. The outer SELECT
 * sees the table as it was before the statement: a key bound by this very statement (a retry in the same batch as its first
 * request) or by another transaction meanwhile is neither made nor found: it goes again.
 */
static const char BIND_MANY[] =
    "WITH input AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY"
    "               AS t(user_id, key, token, request, n)),"
    " made AS (INSERT INTO idempotency_keys (user_id, key, token, request)"
    "          SELECT user_id, key, token, request FROM input ORDER BY n"
    "          ON CONFLICT (user_id, key) DO NOTHING RETURNING user_id, key, token)"
    " SELECT m.token IS NOT NULL, k.token,"
    "        (extract(epoch FROM clock_timestamp() - k.created_at) * 1000)::bigint,"
    "        k.request IS DISTINCT FROM i.request AND k.request IS NOT NULL"
    " FROM input i"
    " LEFT JOIN made m ON m.user_id = i.user_id AND m.key = i.key AND m.token = i.token"
    " LEFT JOIN idempotency_keys k ON k.user_id = i.user_id AND k.key = i.key"
    " ORDER BY i.n";

/* Puts keys to ask again at the queue's head: they came before what waits. */
static void ask_again(struct ft_key_binder *b, struct ft_key_bind *first, struct ft_key_bind *last)
{
    pthread_mutex_lock(&b->lock);
    last->next = b->head;
    if (b->head == NULL)
        b->tail = last;
    b->head = first;
    pthread_mutex_unlock(&b->lock);
}

/* Binds batch[0..n) on db; the keys to ask again go back to the queue. */
static void bind_on(struct ft_key_binder *b, PGconn *db, struct ft_key_bind **batch, size_t n)
{
    struct ft_columns cols;
    ft_columns_open(&cols, 4);
    for (size_t i = 0; i < n; i++) {
        ft_strbuf_printf(&cols.c[0], "%s%" PRId64, FT_COLUMN_SEP(i), batch[i]->user_id);
        ft_columns_put_text(&cols, 1, i == 0, batch[i]->key);
        ft_columns_put_text(&cols, 2, i == 0, batch[i]->token);
        ft_columns_put_text(&cols, 3, i == 0, batch[i]->request);
    }
    const char *params[4];
    PGresult *res = ft_columns_close(&cols, params) ? ft_db_query(db, BIND_MANY, 4, params) : NULL;
    ft_columns_free(&cols);
    if (res != NULL && !ft_db_ok(res) && strcmp(ft_db_sqlstate(res), "23503") == 0) {
        /* The users key: a signed token of an account that no longer exists. Which key's
         * user is missing is not known, so each goes again on its own. */
        for (size_t i = 0; i < n; i++) {
            if (n == 1)
                finish(batch[i], FT_STORE_NOT_FOUND);
            else
                bind_on(b, db, &batch[i], 1);
        }
    } else if (res == NULL || !ft_db_ok(res) || (size_t)PQntuples(res) != n) {
        ft_log_error("db.idempotency_bind_many", "keys=%zu error=\"%s\"", n,
                     res != NULL ? PQresultErrorMessage(res) : "out of memory");
        for (size_t i = 0; i < n; i++)
            finish(batch[i], FT_STORE_FAILED);
    } else {
        struct ft_key_bind *again = NULL, *again_last = NULL;
        for (size_t i = 0; i < n; i++) {
            struct ft_key_bind *bind = batch[i];
            if (PQgetvalue(res, (int)i, 0)[0] == 't') {
                finish(bind, FT_STORE_OK);
            } else if (!PQgetisnull(res, (int)i, 1)) {
                snprintf(bind->existing, sizeof bind->existing, "%s", PQgetvalue(res, (int)i, 1));
                bind->age_ms = strtoll(PQgetvalue(res, (int)i, 2), NULL, 10);
                bind->other_request = PQgetvalue(res, (int)i, 3)[0] == 't';
                finish(bind, FT_STORE_CONFLICT);
            } else if (++bind->attempts >= ATTEMPTS_MAX) {
                ft_log_error("db.idempotency_bind_many", "error=\"the key's row kept changing\"");
                finish(bind, FT_STORE_FAILED);
            } else {
                bind->next = NULL;
                if (again_last != NULL)
                    again_last->next = bind;
                else
                    again = bind;
                again_last = bind;
            }
        }
        if (again != NULL)
            ask_again(b, again, again_last);
    }
    PQclear(res);
}

static void bind_batch(struct ft_key_binder *b, struct ft_key_bind **batch, size_t n)
{
    PGconn *db = ft_db_acquire(b->pool, FT_DB_ACQUIRE_MS);
    if (db == NULL) {
        for (size_t i = 0; i < n; i++)
            finish(batch[i], FT_STORE_UNAVAILABLE);
        return;
    }
    bind_on(b, db, batch, n);
    ft_db_release(b->pool, db);
}

static void *run(void *arg)
{
    struct ft_key_binder *b = arg;
    struct ft_key_bind *batch[BATCH_MAX];
    for (;;) {
        pthread_mutex_lock(&b->lock);
        while (b->head == NULL && !b->stopping)
            pthread_cond_wait(&b->wake, &b->lock);
        size_t n = 0;
        while (b->head != NULL && n < BATCH_MAX) {
            batch[n++] = b->head;
            b->head = b->head->next;
        }
        if (b->head == NULL)
            b->tail = NULL;
        pthread_mutex_unlock(&b->lock);
        if (n == 0)
            return NULL; /* stopping, and nothing waits */
        bind_batch(b, batch, n);
    }
}

struct ft_key_binder *ft_key_binder_start(struct ft_db_pool *pool)
{
    struct ft_key_binder *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->pool = pool;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->wake, NULL);
    if (pthread_create(&b->thread, NULL, run, b) != 0) {
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    return b;
}

void ft_key_binder_submit(struct ft_key_binder *b, struct ft_key_bind *bind)
{
    bind->next = NULL;
    bind->attempts = 0;
    pthread_mutex_lock(&b->lock);
    if (b->tail != NULL)
        b->tail->next = bind;
    else
        b->head = bind;
    b->tail = bind;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
}

void ft_key_binder_stop(struct ft_key_binder *b)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_signal(&b->wake);
    pthread_mutex_unlock(&b->lock);
    pthread_join(b->thread, NULL);
    pthread_cond_destroy(&b->wake);
    pthread_mutex_destroy(&b->lock);
    free(b);
}
