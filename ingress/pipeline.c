#include "pipeline.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/clock.h"
#include "ft/command.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/strbuf.h"
#include "latency_histogram.h"
#include "store.h"

/* Tokens held in memory at most (128 bytes each, plus the index: about 140 MB when full). */
#define REGISTRY_CAPACITY ((size_t)1 << 20)
/* How long a decided token stays in memory after its outcome arrived. */
#define DECIDED_TTL_MS (120 * 1000)
/* Places of the registry the tail's sweep looks at per turn, and how often it sweeps. */
#define SWEEP_BUDGET 20000
#define SWEEP_EVERY_MS 100
#define CATALOG_REFRESH_MS 2000
/* How long start-up waits for a broker to describe the topics. */
#define START_METADATA_MS 5000

/* Where the tail is. */
enum tail_state {
    TAIL_UNASSIGNED, /* partitions or start offsets not known yet (Kafka or PostgreSQL away) */
    TAIL_READING,    /* assigned, reading */
};

struct ft_pipeline {
    const struct ft_config *config;
    struct ft_db_pool *db;
    struct ft_catalog *catalog;
    struct ft_registry *registry;
    atomic_int partitions;         /* of the commands topic; 0 while unknown */
    atomic_int outcome_partitions; /* of the outcomes topic; 0 while unknown */
    atomic_bool caught_up;

    /* stop: every thread sleeps on `wake` and leaves when `stopping` is set */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    bool stopping;

    /* producing: HTTP threads produce under the read lock; the poller swaps the producer
     * under the write lock */
    pthread_rwlock_t producer_lock;
    rd_kafka_t *producer; /* NULL while being replaced */
    atomic_bool producer_fatal;
    pthread_mutex_t flight_lock;
    pthread_cond_t flight_landed;
    long in_flight; /* queued commands whose delivery report has not come */
    bool draining;  /* no more commands */

    /* the tail */
    rd_kafka_t *consumer;
    enum tail_state tail;
    bool *command_eof; /* per commands partition: the tail has reached its end once */
    int32_t eof_missing;

    pthread_t poller, tail_thread, catalog_thread;
    bool poller_started, tail_started, catalog_started;

    atomic_uint_fast64_t accepted, refused, recreated, tail_commands, tail_outcomes, tail_progress;
    /* Time from produce to Kafka's acknowledgement of the commands it took: the part of a
     * 202's time the broker and librdkafka account for. */
    struct ft_latency_histogram ack;
};

int64_t ft_pipeline_now_ms(void)
{
    return ft_clock_monotonic_ms();
}

/* Sleeps up to ms, or less when the pipeline stops. True when it is stopping. */
static bool sleep_or_stop(struct ft_pipeline *p, int ms)
{
    struct timespec until = ft_clock_deadline(ms);
    pthread_mutex_lock(&p->wake_lock);
    while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->wake_lock, &until) != ETIMEDOUT)
        ;
    bool stopping = p->stopping;
    pthread_mutex_unlock(&p->wake_lock);
    return stopping;
}

static bool stopping(struct ft_pipeline *p)
{
    pthread_mutex_lock(&p->wake_lock);
    bool stop = p->stopping;
    pthread_mutex_unlock(&p->wake_lock);
    return stop;
}

/* --- topics ------------------------------------------------------------------------ */

enum topic_lookup { TOPIC_FOUND, TOPIC_MISSING, TOPIC_NO_ANSWER };

/* Asks a broker how many partitions `topic` has. Asked first with the consumer's handle,
 * which never asks the broker to create a topic it names; the producer's asks too (for its
 * own knowledge of the leaders) only once the topic is known to exist. */
static enum topic_lookup topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *count)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(rk, topic, NULL);
    if (handle == NULL)
        return TOPIC_NO_ANSWER;
    const struct rd_kafka_metadata *metadata = NULL;
    enum topic_lookup result = TOPIC_NO_ANSWER;
    if (rd_kafka_metadata(rk, 0, handle, &metadata, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (metadata->topic_cnt == 1) {
            rd_kafka_resp_err_t err = metadata->topics[0].err;
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topics[0].partition_cnt > 0) {
                *count = metadata->topics[0].partition_cnt;
                result = TOPIC_FOUND;
            } else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                result = TOPIC_MISSING;
            }
        }
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
    return result;
}

/* Learns both partition counts; false while unknown. *missing names a topic the broker
 * says does not exist. */
static bool learn_partitions(struct ft_pipeline *p, int timeout_ms, const char **missing)
{
    const char *topics[] = { p->config->topic_commands, p->config->topic_outcomes };
    atomic_int *counts[] = { &p->partitions, &p->outcome_partitions };
    bool known = true;
    for (int i = 0; i < 2; i++) {
        if (atomic_load(counts[i]) > 0)
            continue;
        int32_t count = 0;
        enum topic_lookup found = topic_partitions(p->consumer, topics[i], timeout_ms, &count);
        if (found == TOPIC_FOUND && count > FT_REGISTRY_PARTITIONS_MAX)
            count = FT_REGISTRY_PARTITIONS_MAX; /* the config allows no more; extra ones stay unread */
        if (found == TOPIC_FOUND)
            atomic_store(counts[i], count);
        else
            known = false;
        if (found == TOPIC_MISSING && missing != NULL)
            *missing = topics[i];
    }
    return known;
}

/* --- producing ------------------------------------------------------------------------ */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    struct ft_pipeline *p = opaque;
    struct ft_delivery *delivery = msg->_private;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        atomic_fetch_add(&p->accepted, 1);
        ft_latency_histogram_observe(&p->ack, ft_clock_monotonic_us() - delivery->produced_us);
    } else {
        ft_log_warn("reservation.not_delivered", "partition=%d error=\"%s\"", msg->partition,
                    rd_kafka_err2str(msg->err));
    }
    if (msg->err == RD_KAFKA_RESP_ERR__FATAL)
        atomic_store(&p->producer_fatal, true);
    delivery->done(delivery, msg->err, msg->partition, msg->err ? -1 : msg->offset);
    pthread_mutex_lock(&p->flight_lock);
    if (--p->in_flight == 0)
        pthread_cond_broadcast(&p->flight_landed);
    pthread_mutex_unlock(&p->flight_lock);
}

static void on_producer_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct ft_pipeline *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t cause = rd_kafka_fatal_error(rk, why, sizeof why);
        ft_log_error("kafka.producer_fatal", "error=\"%s\" cause=\"%s\"", why, rd_kafka_err2name(cause));
        atomic_store(&p->producer_fatal, true);
        return;
    }
    ft_log_warn("kafka.producer_error", "error=%s reason=\"%s\"", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static rd_kafka_t *producer_new(struct ft_pipeline *p, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ft_kafka_conf_new(p->config->kafka_brokers, err, errlen);
    if (conf == NULL)
        return NULL;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", FT_PIPELINE_DELIVERY_TIMEOUT_MS);
    const char *const settings[][2] = {
        { "enable.idempotence", "true" }, /* acks=all, retries without duplicates or reordering */
        { "message.timeout.ms", timeout }, /* then the request is answered 503 */
        { "request.timeout.ms", timeout },
        /* Queued messages are timed out when the broker thread retries its connection:
         * with the default back-off (up to 10 s) a 5 s timeout was measured to fire after
         * about 14 s once the broker had gone; with at most 1 s, after 5.1 s. */
        { "reconnect.backoff.max.ms", "1000" },
        /* A 202 waits for its batch, and each batch is a produce request that the broker
         * and this producer's thread pay for. An on-sale has thousands of buyers at once:
         * with 256 requests in flight (alternated on one stack, 2026-11-25), 2 ms decided
         * 25,936 / 26,535 per s against 23,634 / 23,667 with 1 (Kafka 8.0 / 7.4 µs of CPU
         * per decided request against 12.1 / 10.0). With only 64 in flight the loop waits
         * on the batches: 16,907-17,076/s with 2 against 15,856-19,164 with 1, and 13,385-
         * 13,608 with 3. 0 sent a request per message (4,942-11,736/s with 64 in flight). */
        { "linger.ms", "2" },
    };
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], err, errlen) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_producer_error);
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (rk == NULL)
        rd_kafka_conf_destroy(conf); /* still ours on failure; the handle's on success */
    return rk;
}

/*
 * Has a new producer learn the commands topic's partition leaders, and so connect to
 * them, before a request needs them: a fresh ingress's first produce waited about 360 ms
 * for that, and every reservation that arrived meanwhile waited with it. Best effort: a
 * broker that does not answer leaves it to the first produce, as before.
 */
static void producer_learn_topic(rd_kafka_t *producer, const char *topic)
{
    int32_t partitions;
    (void)topic_partitions(producer, topic, 2000, &partitions);
}

/* Serves the reports of everything still queued in `rk` for up to ms. */
static void serve_reports(rd_kafka_t *rk, int ms)
{
    int64_t until = ft_pipeline_now_ms() + ms;
    while (rd_kafka_outq_len(rk) > 0 && ft_pipeline_now_ms() < until)
        rd_kafka_poll(rk, 50);
    rd_kafka_poll(rk, 0);
}

/*
 * After a fatal error the producer can take nothing more: its queued and in-flight
 * commands are failed (their requests get 503, and their idempotency keys are freed),
 * and a new producer takes its place.
 */
static void replace_producer(struct ft_pipeline *p)
{
    pthread_rwlock_wrlock(&p->producer_lock);
    rd_kafka_t *old = p->producer;
    p->producer = NULL;
    pthread_rwlock_unlock(&p->producer_lock);
    if (old != NULL) {
        rd_kafka_purge(old, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        serve_reports(old, 5000);
        rd_kafka_destroy(old);
    }
    char err[512];
    rd_kafka_t *fresh = NULL;
    while ((fresh = producer_new(p, err, sizeof err)) == NULL && !sleep_or_stop(p, 1000))
        ft_log_error("kafka.producer_recreate_failed", "error=\"%s\"", err);
    if (fresh != NULL)
        producer_learn_topic(fresh, p->config->topic_commands);
    atomic_store(&p->producer_fatal, false);
    pthread_rwlock_wrlock(&p->producer_lock);
    p->producer = fresh;
    pthread_rwlock_unlock(&p->producer_lock);
    atomic_fetch_add(&p->recreated, 1);
    ft_log_warn("kafka.producer_recreated", "ok=%s", fresh != NULL ? "true" : "false");
}

static void *poller_main(void *arg)
{
    struct ft_pipeline *p = arg;
    while (!stopping(p)) {
        if (atomic_load(&p->producer_fatal))
            replace_producer(p);
        rd_kafka_t *rk = p->producer; /* only this thread changes it */
        if (rk != NULL)
            rd_kafka_poll(rk, 100);
        else
            (void)sleep_or_stop(p, 100);
    }
    return NULL;
}

rd_kafka_resp_err_t ft_pipeline_produce(struct ft_pipeline *p, int32_t partition, int64_t schedule_id,
                                        const char *payload, size_t len, struct ft_delivery *delivery)
{
    pthread_mutex_lock(&p->flight_lock);
    bool draining = p->draining;
    if (!draining)
        p->in_flight++;
    pthread_mutex_unlock(&p->flight_lock);
    if (draining)
        return RD_KAFKA_RESP_ERR__DESTROY;
    char key[24];
    int key_len = snprintf(key, sizeof key, "%" PRId64, schedule_id);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__STATE;
    delivery->produced_us = ft_clock_monotonic_us();
    pthread_rwlock_rdlock(&p->producer_lock);
    if (p->producer != NULL)
        err = rd_kafka_producev(p->producer, RD_KAFKA_V_TOPIC(p->config->topic_commands),
                                RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key, (size_t)key_len),
                                RD_KAFKA_V_VALUE((void *)(uintptr_t)payload, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(delivery), RD_KAFKA_V_END);
    pthread_rwlock_unlock(&p->producer_lock);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (err == RD_KAFKA_RESP_ERR__FATAL)
            atomic_store(&p->producer_fatal, true);
        pthread_mutex_lock(&p->flight_lock);
        if (--p->in_flight == 0)
            pthread_cond_broadcast(&p->flight_landed);
        pthread_mutex_unlock(&p->flight_lock);
        ft_log_warn("reservation.not_queued", "partition=%d error=\"%s\"", partition, rd_kafka_err2str(err));
    }
    return err;
}

/* Waits until nothing is in flight or until_ms (monotonic). Flight lock held. */
static void wait_landed(struct ft_pipeline *p, int64_t until_ms)
{
    while (p->in_flight > 0 && ft_pipeline_now_ms() < until_ms) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 50 * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->flight_landed, &p->flight_lock, &t);
    }
}

void ft_pipeline_drain(struct ft_pipeline *p, int timeout_ms)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->flight_lock);
    p->draining = true;
    wait_landed(p, ft_pipeline_now_ms() + timeout_ms);
    long left = p->in_flight;
    pthread_mutex_unlock(&p->flight_lock);
    if (left > 0) {
        ft_log_warn("reservation.drain_purge", "in_flight=%ld", left);
        pthread_rwlock_rdlock(&p->producer_lock);
        if (p->producer != NULL)
            rd_kafka_purge(p->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        pthread_rwlock_unlock(&p->producer_lock);
        pthread_mutex_lock(&p->flight_lock);
        wait_landed(p, ft_pipeline_now_ms() + 10000); /* the poller serves the purged reports */
        left = p->in_flight;
        pthread_mutex_unlock(&p->flight_lock);
    }
    ft_log_info("reservation.drained", "in_flight=%ld", left);
}

/* --- the tail ------------------------------------------------------------------------- */

static rd_kafka_t *consumer_new(const struct ft_config *config, char *err, size_t errlen)
{
    static const struct ft_kafka_setting settings[] = {
        /* librdkafka's consumer needs a group id, but a consumer that only assigns and never
         * commits does not join the group: every instance reads every partition. */
        { "group.id", "ft-ingress-tail" },
        { "enable.auto.commit", "false" },
        { "enable.auto.offset.store", "false" },
        { "auto.offset.reset", "earliest" },
        { "enable.partition.eof", "true" },
        { "allow.auto.create.topics", "false" },
        /* A fetch is answered when 256 KB are there or after 20 ms: with librdkafka's default
         * of one byte the broker answered a fetch for nearly every command during an on-sale,
         * and those answers were most of its CPU. A poll's answer is at most 20 ms later. */
        { "fetch.wait.max.ms", "20" },
        { "fetch.min.bytes", "262144" },
    };
    return ft_kafka_consumer_new(config->kafka_brokers, settings, sizeof settings / sizeof settings[0], NULL, NULL,
                                 err, errlen);
}

/*
 * Assigns the tail its partitions. The order matters: the outcomes topic's ends are read
 * before the writers' offsets in PostgreSQL, so whatever a writer committed after that
 * read is published after those ends, where the tail will see it.
 */
static bool tail_assign(struct ft_pipeline *p)
{
    if (!learn_partitions(p, 1000, NULL))
        return false;
    int32_t commands = atomic_load(&p->partitions), outcomes = atomic_load(&p->outcome_partitions);
    int64_t *ends = calloc((size_t)outcomes, sizeof *ends), *next = calloc((size_t)commands, sizeof *next);
    bool ok = ends != NULL && next != NULL;
    for (int32_t i = 0; ok && i < outcomes; i++) {
        int64_t low = 0;
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(p->consumer, p->config->topic_outcomes, i, &low, &ends[i], 2000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ft_log_warn("tail.watermarks_unknown", "topic=%s partition=%d error=\"%s\"", p->config->topic_outcomes, i,
                        rd_kafka_err2str(err));
            ok = false;
        }
    }
    PGconn *db = ok ? ft_db_acquire(p->db, 1000) : NULL;
    if (ok && db == NULL)
        ok = false;
    if (db != NULL) {
        ok = ft_store_partition_offsets(db, p->config->topic_commands, next, commands) == FT_STORE_OK;
        ft_db_release(p->db, db);
    }
    if (ok) {
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(commands + outcomes);
        for (int32_t i = 0; i < commands; i++) {
            ft_registry_progress(p->registry, i, next[i], 0);
            rd_kafka_topic_partition_list_add(list, p->config->topic_commands, i)->offset =
                next[i] > 0 ? next[i] : RD_KAFKA_OFFSET_BEGINNING;
        }
        for (int32_t i = 0; i < outcomes; i++)
            rd_kafka_topic_partition_list_add(list, p->config->topic_outcomes, i)->offset = ends[i];
        rd_kafka_resp_err_t err = rd_kafka_assign(p->consumer, list);
        rd_kafka_topic_partition_list_destroy(list);
        ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (!ok)
            ft_log_error("tail.assign_failed", "error=\"%s\"", rd_kafka_err2str(err));
    }
    if (ok) {
        p->command_eof = calloc((size_t)commands, sizeof *p->command_eof);
        p->eof_missing = commands;
        ok = p->command_eof != NULL;
        ft_log_info("tail.assigned", "commands=%s partitions=%d outcomes=%s partitions=%d", p->config->topic_commands,
                    commands, p->config->topic_outcomes, outcomes);
    }
    free(ends);
    free(next);
    return ok;
}

static void tail_command(struct ft_pipeline *p, const rd_kafka_message_t *msg, int64_t now)
{
    struct ft_command cmd;
    char why[128];
    if (!ft_command_decode(msg->payload, msg->len, &cmd, why, sizeof why)) {
        ft_log_debug("tail.command_unreadable", "partition=%d offset=%" PRId64 " reason=\"%s\"", msg->partition,
                     msg->offset, why);
        return;
    }
    if (cmd.type != FT_CMD_RESERVE)
        return;
    atomic_fetch_add(&p->tail_commands, 1);
    enum ft_registry_add added =
        ft_registry_add(p->registry, cmd.token, cmd.user_id, cmd.schedule_id, msg->partition, msg->offset, now);
    if (added == FT_REGISTRY_FULL)
        ft_log_warn("tail.registry_full", "partition=%d offset=%" PRId64, msg->partition, msg->offset);
}

static void tail_outcome(struct ft_pipeline *p, const rd_kafka_message_t *msg, int64_t now)
{
    const char *type = ft_outcomes_message_type(msg->payload, msg->len);
    if (type != NULL && strcmp(type, "outcome") == 0) {
        struct ft_outcome outcome;
        if (ft_outcome_decode(msg->payload, msg->len, &outcome)) {
            atomic_fetch_add(&p->tail_outcomes, 1);
            (void)ft_registry_decide(p->registry, &outcome, now);
            return;
        }
    } else if (type != NULL && strcmp(type, "progress") == 0) {
        struct ft_progress progress;
        if (ft_progress_decode(msg->payload, msg->len, &progress)) {
            atomic_fetch_add(&p->tail_progress, 1);
            ft_registry_progress(p->registry, progress.partition, progress.next_offset, progress.rate_per_sec);
            return;
        }
    }
    ft_log_debug("tail.outcome_unreadable", "partition=%d offset=%" PRId64, msg->partition, msg->offset);
}

static void tail_handle(struct ft_pipeline *p, const rd_kafka_message_t *msg, int64_t now)
{
    bool commands = msg->rkt != NULL && strcmp(rd_kafka_topic_name(msg->rkt), p->config->topic_commands) == 0;
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (commands && msg->partition >= 0 && msg->partition < atomic_load(&p->partitions) &&
            !p->command_eof[msg->partition]) {
            p->command_eof[msg->partition] = true;
            if (--p->eof_missing == 0) {
                atomic_store(&p->caught_up, true);
                ft_log_info("tail.caught_up", "topic=%s", p->config->topic_commands);
            }
        }
        return;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ft_log_warn("tail.consume_error", "error=\"%s\"", rd_kafka_message_errstr(msg));
        return;
    }
    if (commands)
        tail_command(p, msg, now);
    else
        tail_outcome(p, msg, now);
}

static void *tail_main(void *arg)
{
    struct ft_pipeline *p = arg;
    int64_t last_sweep = 0;
    while (!stopping(p)) {
        if (p->tail == TAIL_UNASSIGNED) {
            if (tail_assign(p))
                p->tail = TAIL_READING;
            else if (sleep_or_stop(p, 1000))
                break;
            continue;
        }
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(p->consumer, 100);
        int64_t now = ft_pipeline_now_ms();
        if (msg != NULL) {
            tail_handle(p, msg, now);
            rd_kafka_message_destroy(msg);
        }
        if (now - last_sweep >= SWEEP_EVERY_MS) {
            ft_registry_sweep(p->registry, now, SWEEP_BUDGET);
            last_sweep = now;
        }
    }
    return NULL;
}

/* --- the catalog ---------------------------------------------------------------------- */

static bool catalog_sync(struct ft_pipeline *p, int64_t only, int acquire_ms)
{
    PGconn *db = ft_db_acquire(p->db, acquire_ms);
    if (db == NULL)
        return false;
    enum ft_store_result result = ft_store_catalog_sync(db, p->catalog, only);
    ft_db_release(p->db, db);
    if (result == FT_STORE_OK && only <= 0 && !ft_catalog_loaded(p->catalog)) {
        ft_catalog_set_loaded(p->catalog);
        ft_log_info("catalog.loaded", "schedules=%zu", ft_catalog_schedule_count(p->catalog));
    }
    return result == FT_STORE_OK;
}

static void *catalog_main(void *arg)
{
    struct ft_pipeline *p = arg;
    while (!sleep_or_stop(p, ft_catalog_loaded(p->catalog) ? CATALOG_REFRESH_MS : 1000))
        (void)catalog_sync(p, 0, 1000);
    return NULL;
}

void ft_pipeline_catalog_refresh(struct ft_pipeline *p, int64_t schedule_id)
{
    if (!catalog_sync(p, schedule_id, 2000))
        ft_log_warn("catalog.refresh_failed", "schedule=%" PRId64 " note=\"the periodic refresh will load it\"",
                    schedule_id);
}

/* --- life ------------------------------------------------------------------------------ */

struct ft_pipeline *ft_pipeline_start(const struct ft_config *config, struct ft_db_pool *db, char *err, size_t errlen)
{
    struct ft_pipeline *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->config = config;
    p->db = db;
    pthread_mutex_init(&p->wake_lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_rwlock_init(&p->producer_lock, NULL);
    pthread_mutex_init(&p->flight_lock, NULL);
    pthread_cond_init(&p->flight_landed, NULL);
    unsigned char key[FT_REGISTRY_KEY_SIZE];
    randombytes_buf(key, sizeof key);
    p->catalog = ft_catalog_new();
    p->registry = ft_registry_new(REGISTRY_CAPACITY, DECIDED_TTL_MS, key);
    if (p->catalog == NULL || p->registry == NULL) {
        snprintf(err, errlen, "out of memory");
        ft_pipeline_stop(p);
        return NULL;
    }
    char why[512];
    if ((p->consumer = consumer_new(config, why, sizeof why)) == NULL ||
        (p->producer = producer_new(p, why, sizeof why)) == NULL) {
        snprintf(err, errlen, "kafka: %s", why);
        ft_pipeline_stop(p);
        return NULL;
    }
    const char *missing = NULL;
    int64_t until = ft_pipeline_now_ms() + START_METADATA_MS;
    while (!learn_partitions(p, 1000, &missing) && missing == NULL && ft_pipeline_now_ms() < until)
        (void)sleep_or_stop(p, 200);
    if (missing != NULL) {
        snprintf(err, errlen, "Kafka topic %s does not exist (create it: ft-admin create-topics)", missing);
        ft_pipeline_stop(p);
        return NULL;
    }
    if (atomic_load(&p->partitions) == 0 || atomic_load(&p->outcome_partitions) == 0)
        ft_log_warn("pipeline.kafka_unreachable", "brokers=%s note=\"reservations answer 503 until a broker answers\"",
                    config->kafka_brokers);
    else
        ft_log_info("pipeline.topics", "commands=%s partitions=%d outcomes=%s partitions=%d", config->topic_commands,
                    atomic_load(&p->partitions), config->topic_outcomes, atomic_load(&p->outcome_partitions));
    if (atomic_load(&p->partitions) > 0) /* the topic exists: asking the producer creates nothing */
        producer_learn_topic(p->producer, config->topic_commands);
    (void)catalog_sync(p, 0, 3000);
    p->poller_started = pthread_create(&p->poller, NULL, poller_main, p) == 0;
    p->tail_started = pthread_create(&p->tail_thread, NULL, tail_main, p) == 0;
    p->catalog_started = pthread_create(&p->catalog_thread, NULL, catalog_main, p) == 0;
    if (!p->poller_started || !p->tail_started || !p->catalog_started) {
        snprintf(err, errlen, "cannot start the pipeline's threads");
        ft_pipeline_stop(p);
        return NULL;
    }
    return p;
}

void ft_pipeline_stop(struct ft_pipeline *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->wake_lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->wake_lock);
    if (p->poller_started)
        pthread_join(p->poller, NULL);
    if (p->tail_started)
        pthread_join(p->tail_thread, NULL);
    if (p->catalog_started)
        pthread_join(p->catalog_thread, NULL);
    if (p->producer != NULL) {
        /* Drained already when the server ran; a failed start has nothing queued. */
        rd_kafka_purge(p->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        serve_reports(p->producer, 2000);
        rd_kafka_destroy(p->producer);
    }
    if (p->consumer != NULL) {
        rd_kafka_consumer_close(p->consumer);
        rd_kafka_destroy(p->consumer);
    }
    free(p->command_eof);
    ft_registry_free(p->registry);
    ft_catalog_free(p->catalog);
    pthread_cond_destroy(&p->flight_landed);
    pthread_mutex_destroy(&p->flight_lock);
    pthread_rwlock_destroy(&p->producer_lock);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->wake_lock);
    free(p);
}

struct ft_catalog *ft_pipeline_catalog(struct ft_pipeline *p)
{
    return p->catalog;
}

struct ft_registry *ft_pipeline_registry(struct ft_pipeline *p)
{
    return p->registry;
}

int32_t ft_pipeline_partitions(struct ft_pipeline *p)
{
    return atomic_load(&p->partitions);
}

bool ft_pipeline_caught_up(struct ft_pipeline *p)
{
    return atomic_load(&p->caught_up);
}

void ft_pipeline_count_refused(struct ft_pipeline *p)
{
    atomic_fetch_add(&p->refused, 1);
}

char *ft_pipeline_metrics(struct ft_pipeline *p)
{
    struct ft_registry_stats stats;
    ft_registry_stats(p->registry, &stats);
    pthread_mutex_lock(&p->flight_lock);
    long in_flight = p->in_flight;
    pthread_mutex_unlock(&p->flight_lock);
    struct ft_strbuf t;
    ft_strbuf_init(&t);
    ft_strbuf_printf(&t,
                     "# HELP ft_reservations_accepted_total Reservation commands Kafka acknowledged.\n"
                     "# TYPE ft_reservations_accepted_total counter\nft_reservations_accepted_total %llu\n"
                     "# HELP ft_reservations_refused_total Reservation requests refused (503) for want of Kafka.\n"
                     "# TYPE ft_reservations_refused_total counter\nft_reservations_refused_total %llu\n"
                     "# HELP ft_reservations_in_flight Reservation commands waiting for Kafka's acknowledgement.\n"
                     "# TYPE ft_reservations_in_flight gauge\nft_reservations_in_flight %ld\n"
                     "# HELP ft_kafka_producer_recreated_total Producers replaced after a fatal error.\n"
                     "# TYPE ft_kafka_producer_recreated_total counter\nft_kafka_producer_recreated_total %llu\n"
                     "# HELP ft_tail_messages_total Messages the tail read, by kind.\n"
                     "# TYPE ft_tail_messages_total counter\n"
                     "ft_tail_messages_total{kind=\"reserve\"} %llu\n"
                     "ft_tail_messages_total{kind=\"outcome\"} %llu\n"
                     "ft_tail_messages_total{kind=\"progress\"} %llu\n"
                     "# HELP ft_tail_caught_up Whether the tail has read the commands topic to its end once.\n"
                     "# TYPE ft_tail_caught_up gauge\nft_tail_caught_up %d\n"
                     "# HELP ft_tokens_in_memory Request tokens the registry holds.\n"
                     "# TYPE ft_tokens_in_memory gauge\nft_tokens_in_memory %zu\n"
                     "# HELP ft_tokens_waiting Request tokens the registry holds that are not decided.\n"
                     "# TYPE ft_tokens_waiting gauge\nft_tokens_waiting %zu\n"
                     "# HELP ft_token_registry_bytes Memory the token registry has allocated.\n"
                     "# TYPE ft_token_registry_bytes gauge\nft_token_registry_bytes %zu\n"
                     "# HELP ft_catalog_schedules Schedules in the in-memory catalog.\n"
                     "# TYPE ft_catalog_schedules gauge\nft_catalog_schedules %zu\n",
                     (unsigned long long)atomic_load(&p->accepted), (unsigned long long)atomic_load(&p->refused),
                     in_flight, (unsigned long long)atomic_load(&p->recreated),
                     (unsigned long long)atomic_load(&p->tail_commands),
                     (unsigned long long)atomic_load(&p->tail_outcomes),
                     (unsigned long long)atomic_load(&p->tail_progress), atomic_load(&p->caught_up) ? 1 : 0,
                     stats.tokens, stats.waiting, stats.bytes, ft_catalog_schedule_count(p->catalog));
    ft_strbuf_printf(&t, "# HELP ft_kafka_ack_seconds Time from producing a command to Kafka's acknowledgement.\n"
                         "# TYPE ft_kafka_ack_seconds histogram\n");
    ft_latency_histogram_render(&p->ack, &t, "ft_kafka_ack_seconds", "");
    return ft_strbuf_take(&t);
}
