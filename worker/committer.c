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
    atomic_bool stopping;
    enum job_state state;
    int32_t partition;
    int64_t epoch;
    double rate_per_sec;
    struct ft_commit_result result;
};

/* Stores one batch, retrying every half second while PostgreSQL does not take it. */
static enum ft_worker_store_result store(struct ft_committer *c, int32_t partition, int64_t epoch,
                                         const struct ft_batch *batch)
{
    for (;;) {
        if (PQstatus(c->db) != CONNECTION_OK)
            PQreset(c->db);
        enum ft_worker_store_result status = PQstatus(c->db) == CONNECTION_OK
                                                 ? ft_wstore_commit(c->db, c->topic_commands, partition, epoch, batch)
                                                 : FT_WSTORE_FAILED;
        if (status != FT_WSTORE_FAILED || atomic_load(&c->stopping) || *c->worker_stop)
            return status;
        ft_log_warn("worker.commit_retry", "partition=%d next_offset=%lld", partition, (long long)batch->next_offset);
        nanosleep(&(struct timespec){ .tv_nsec = 500000000L }, NULL);
    }
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
        c->result.status = store(c, c->partition, c->epoch, &c->result.batch);
        c->result.micros = ft_clock_monotonic_us() - started;
        if (c->result.status == FT_WSTORE_OK && c->producer != NULL) {
            ft_publish_batch(c->producer, c->topic_outcomes, c->partition, &c->result.batch, c->rate_per_sec);
            /* Without progress messages the ingress instances would think every token waits. */
            (void)ft_kafka_producer_revive(&c->producer, c->brokers);
        }

        pthread_mutex_lock(&c->lock);
        c->state = JOB_DONE;
        pthread_cond_broadcast(&c->changed);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

struct ft_committer *ft_committer_start(const char *db_url, const char *topic_commands, const char *brokers,
                                        const char *topic_outcomes, volatile sig_atomic_t *worker_stop)
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

void ft_committer_submit(struct ft_committer *c, int32_t partition, int64_t epoch, struct ft_batch *batch,
                         double rate_per_sec)
{
    pthread_mutex_lock(&c->lock);
    c->partition = partition;
    c->epoch = epoch;
    c->rate_per_sec = rate_per_sec;
    c->result = (struct ft_commit_result){ .partition = partition, .batch = *batch };
    ft_batch_init(batch);
    c->state = JOB_QUEUED;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

bool ft_committer_collect(struct ft_committer *c, int wait_ms, struct ft_commit_result *result)
{
    struct timespec deadline = ft_clock_deadline(wait_ms);
    pthread_mutex_lock(&c->lock);
    while (wait_ms != 0 && c->state == JOB_QUEUED)
        if (wait_ms < 0)
            pthread_cond_wait(&c->changed, &c->lock);
        else if (pthread_cond_timedwait(&c->changed, &c->lock, &deadline) != 0)
            break;
    bool done = c->state == JOB_DONE;
    if (done) {
        *result = c->result;
        c->state = JOB_NONE;
    }
    pthread_mutex_unlock(&c->lock);
    return done;
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
