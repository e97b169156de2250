#include "committer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "ft/clock.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "publish.h"

enum job_state { JOB_NONE, JOB_QUEUED, JOB_DONE };

struct ft_committer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    PGconn *db;
    const char *topic_commands, *topic_outcomes, *brokers;
    rd_kafka_t *producer; /* the committer thread's own; NULL: publish nothing */
    volatile sig_atomic_t *worker_stop; /* once the worker is asked to stop, a failed batch is tried once */
    atomic_uint_fast64_t *retries;      /* the worker's count of commits tried again */
    atomic_bool stopping;
    enum job_state state;
    size_t count; /* batches added to the next commit, or in the one in flight */
    struct ft_commit_result results[FT_COMMIT_PARTS_MAX];
    int64_t epochs[FT_COMMIT_PARTS_MAX];
    double rates[FT_COMMIT_PARTS_MAX];
    struct ft_wstore_part parts[FT_COMMIT_PARTS_MAX]; /* the committer thread's */
};

/* Stores parts in one transaction, retrying every half second while PostgreSQL does not
 * take them (an outage); a refusal of the data is not retried. */
static enum ft_worker_store_result store_retrying(struct ft_committer *c, struct ft_wstore_part *parts, size_t count)
{
    for (;;) {
        if (PQstatus(c->db) != CONNECTION_OK)
            PQreset(c->db);
        enum ft_worker_store_result status = PQstatus(c->db) == CONNECTION_OK
                                                 ? ft_wstore_commit(c->db, c->topic_commands, parts, count)
                                                 : FT_WSTORE_FAILED;
        if (status != FT_WSTORE_FAILED || atomic_load(&c->stopping) || *c->worker_stop)
            return status;
        atomic_fetch_add(c->retries, 1);
        ft_log_warn("worker.commit_retry", "partitions=%zu first=%d next_offset=%lld", count, parts[0].partition,
                    (long long)parts[0].batch->next_offset);
        nanosleep(&(struct timespec){ .tv_nsec = 500000000L }, NULL);
    }
}

/*
 * Stores the commit's batches; afterwards each part's result is its own: OK, FENCED,
 * REFUSED (PostgreSQL refuses its data: the worker stops the partition) or FAILED (the
 * worker stopped while PostgreSQL was away). One partition's refused batch must not hold
 * up the others, as it would if the transaction they share were retried: so a refused
 * commit of several partitions is stored again one partition at a time.
 */
static void store(struct ft_committer *c)
{
    for (size_t i = 0; i < c->count; i++)
        c->parts[i] = (struct ft_wstore_part){ .partition = c->results[i].partition, .epoch = c->epochs[i],
                                               .batch = &c->results[i].batch };
    enum ft_worker_store_result status = store_retrying(c, c->parts, c->count);
    if (status == FT_WSTORE_REFUSED && c->count > 1) {
        ft_log_warn("worker.commit_split", "partitions=%zu reason=\"PostgreSQL refused the data of one of them\"",
                    c->count);
        for (size_t i = 0; i < c->count; i++) {
            enum ft_worker_store_result alone = store_retrying(c, &c->parts[i], 1);
            if (alone != FT_WSTORE_OK)
                c->parts[i].result = alone;
        }
        return;
    }
    for (size_t i = 0; i < c->count; i++)
        if (status != FT_WSTORE_OK)
            c->parts[i].result = status;
}

static void *run(void *arg)
{
    struct ft_committer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->state != JOB_QUEUED && !atomic_load(&c->stopping))
            pthread_cond_wait(&c->changed, &c->lock);
        if (c->state != JOB_QUEUED)
            break;
        pthread_mutex_unlock(&c->lock);

        int64_t started = ft_clock_monotonic_us();
        store(c);
        int64_t micros = ft_clock_monotonic_us() - started;
        bool stored = false;
        for (size_t i = 0; i < c->count; i++) {
            struct ft_commit_result *r = &c->results[i];
            r->status = c->parts[i].result;
            stored = stored || r->status == FT_WSTORE_OK;
            r->micros = micros;
            if (r->status == FT_WSTORE_OK && c->parts[i].stored_before)
                ft_log_warn("worker.commit_found_stored",
                            "partition=%d next_offset=%lld reason=\"an earlier COMMIT went through, its answer lost\"",
                            r->partition, (long long)r->batch.next_offset);
            if (r->status == FT_WSTORE_OK && c->producer != NULL)
                ft_publish_batch(c->producer, c->topic_outcomes, r->partition, &r->batch, c->rates[i]);
        }
        /* Without progress messages the ingress instances would think every token waits. */
        if (stored && c->producer != NULL)
            (void)ft_kafka_producer_revive(&c->producer, ft_kafka_producer_make, c->brokers);

        pthread_mutex_lock(&c->lock);
        c->state = JOB_DONE;
        pthread_cond_broadcast(&c->changed);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

struct ft_committer *ft_committer_start(const char *db_url, const char *topic_commands, const char *brokers,
                                        const char *topic_outcomes, volatile sig_atomic_t *worker_stop,
                                        atomic_uint_fast64_t *retries)
{
    struct ft_committer *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    char err[512];
    if (brokers != NULL && (c->producer = ft_kafka_producer_new(brokers, err, sizeof err)) == NULL) {
        ft_log_error("worker.producer_failed", "error=\"%s\"", err);
        free(c);
        return NULL;
    }
    c->db = PQconnectdb(db_url);
    c->topic_commands = topic_commands;
    c->topic_outcomes = topic_outcomes;
    c->brokers = brokers;
    c->worker_stop = worker_stop;
    c->retries = retries;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    if (pthread_create(&c->thread, NULL, run, c) != 0) {
        PQfinish(c->db);
        if (c->producer != NULL)
            rd_kafka_destroy(c->producer);
        free(c);
        return NULL;
    }
    return c;
}

bool ft_committer_busy(struct ft_committer *c)
{
    pthread_mutex_lock(&c->lock);
    bool busy = c->state != JOB_NONE;
    pthread_mutex_unlock(&c->lock);
    return busy;
}

void ft_committer_add(struct ft_committer *c, int32_t partition, int64_t epoch, struct ft_batch *batch,
                      double rate_per_sec)
{
    pthread_mutex_lock(&c->lock);
    if (c->state == JOB_NONE && c->count < FT_COMMIT_PARTS_MAX) {
        c->results[c->count] = (struct ft_commit_result){ .partition = partition, .batch = *batch };
        c->epochs[c->count] = epoch;
        c->rates[c->count] = rate_per_sec;
        c->count++;
        ft_batch_init(batch);
    }
    pthread_mutex_unlock(&c->lock);
}

void ft_committer_submit(struct ft_committer *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->state == JOB_NONE && c->count > 0) {
        c->state = JOB_QUEUED;
        pthread_cond_broadcast(&c->changed);
    }
    pthread_mutex_unlock(&c->lock);
}

bool ft_committer_collect(struct ft_committer *c, int wait_ms, void (*each)(void *ctx, struct ft_commit_result *result),
                          void *ctx)
{
    struct timespec deadline = ft_clock_deadline(wait_ms);
    pthread_mutex_lock(&c->lock);
    while (wait_ms != 0 && c->state == JOB_QUEUED)
        if (wait_ms < 0)
            pthread_cond_wait(&c->changed, &c->lock);
        else if (pthread_cond_timedwait(&c->changed, &c->lock, &deadline) != 0)
            break;
    bool done = c->state == JOB_DONE;
    pthread_mutex_unlock(&c->lock);
    if (!done)
        return false;
    /* DONE: the committer thread leaves the results alone until the next submit, which
     * only this (the worker's) thread makes. */
    for (size_t i = 0; i < c->count; i++)
        each(ctx, &c->results[i]);
    pthread_mutex_lock(&c->lock);
    c->count = 0;
    c->state = JOB_NONE;
    pthread_mutex_unlock(&c->lock);
    return true;
}

void ft_committer_stop(struct ft_committer *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->stopping, true);
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    PQfinish(c->db);
    if (c->producer != NULL) {
        rd_kafka_flush(c->producer, 5000);
        rd_kafka_destroy(c->producer);
    }
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
