#include "pipeline.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "committer.h"
#include "decide.h"
#include <stdio.h>
#include "ft/clock.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/strbuf.h"
#include "publish.h"
#include "store.h"

#define PARTITIONS_MAX 1024
_Static_assert(PARTITIONS_MAX <= FT_COMMIT_PARTS_MAX, "a commit holds every partition's batch");
/* How long a full batch waits for the one in flight before the worker stops fetching. */
#define HOLD_BACK_AFTER_MS 2000

/* What the worker holds for one partition it writes. */
struct partition {
    int32_t number;
    int64_t epoch;       /* our claim; a commit with an older one is refused */
    int64_t next_offset;    /* stored in PostgreSQL: every command before it is durable */
    int64_t decided_offset; /* decided in memory (in the batch or in flight) */
    struct ft_decider *decider;
    struct ft_batch batch;
    int64_t batch_started_ms; /* monotonic time of the batch's first command */
    double rate_per_sec;      /* decisions per second, smoothed */
    bool log_gap;             /* the log cannot give the offset to go on from: nothing more is decided */
};

/* Counters read by the metrics thread while the worker thread writes them. */
struct worker_metrics {
    atomic_uint_fast64_t commands, batches, commit_failures, commit_retries, fenced, refused, commit_micros,
        schedule_loads;
    atomic_int partitions, partitions_at_gap;
};

static struct worker_metrics metrics;

struct worker {
    const struct ft_config *config;
    PGconn *db;
    rd_kafka_t *consumer;
    struct ft_committer *committer;
    bool held_back; /* consumption paused: a full batch waits for the committer */
    int64_t last_commit_micros; /* of the commit collect() took, when it stored anything */
    bool last_commit_stored;
    struct partition *parts[PARTITIONS_MAX];
    int32_t partition_count; /* of the commands topic, read at the last assignment */
    int64_t *preload;        /* open schedules of our partitions, loaded while the log is quiet */
    size_t preload_count, preload_next;
    volatile sig_atomic_t *stop;
    bool replaying; /* ft_pipeline_replay: a partition dropped would be missing from its digest */
    bool fatal;
};

/* Reconnects when PostgreSQL went away; false while it cannot be reached. */
static bool db_ready(struct worker *w)
{
    if (PQstatus(w->db) == CONNECTION_OK)
        return true;
    PQreset(w->db);
    return PQstatus(w->db) == CONNECTION_OK;
}

static void drop_partition(struct worker *w, int32_t number)
{
    struct partition *p = w->parts[number];
    if (p == NULL)
        return;
    if (p->log_gap)
        atomic_fetch_sub(&metrics.partitions_at_gap, 1);
    ft_decider_free(p->decider);
    ft_batch_free(&p->batch);
    free(p);
    w->parts[number] = NULL;
    atomic_fetch_sub(&metrics.partitions, 1);
}

/* One partition's part of a finished commit. */
static void on_committed(void *ctx, struct ft_commit_result *r)
{
    struct worker *w = ctx;
    struct partition *p = w->parts[r->partition];
    if (r->status == FT_WSTORE_OK) {
        atomic_fetch_add(&metrics.commands, r->batch.commands);
        w->last_commit_micros = r->micros;
        w->last_commit_stored = true;
        if (p != NULL)
            p->next_offset = r->batch.next_offset;
        ft_log_debug("worker.batch_committed",
                     "partition=%d next_offset=%" PRId64 " commands=%zu outcomes=%zu us=%" PRId64, r->partition,
                     r->batch.next_offset, r->batch.commands, r->batch.outcome_count, r->micros);
    } else if (r->status == FT_WSTORE_FENCED) {
        atomic_fetch_add(&metrics.fenced, 1);
        ft_log_warn("worker.fenced", "partition=%d dropped_commands=%zu", r->partition, r->batch.commands);
        drop_partition(w, r->partition);
    } else if (r->status == FT_WSTORE_REFUSED) {
        /* Deciding the same commands again gives the same batch, refused again: the
         * partition stops here, with nothing of the batch stored, until an operator has
         * seen to the data and the partition is claimed again (a restart, a rebalance).
         * The other partitions go on (committer.c). */
        atomic_fetch_add(&metrics.refused, 1);
        ft_log_error("worker.batch_refused",
                     "partition=%d next_offset=%" PRId64 " commands=%zu"
                     " reason=\"PostgreSQL refused the batch's data (worker.db_failed has why);"
                     " the partition decides nothing more until it is claimed again\"",
                     r->partition, r->batch.next_offset, r->batch.commands);
        drop_partition(w, r->partition);
        w->fatal = w->fatal || w->replaying;
    } else {
        /* The partition's state in memory is now ahead of what is stored: a later batch
         * of it, stored at the shutdown's flush, would move the offset past this one's
         * commands without ever storing them. Whoever claims it next decides them again. */
        atomic_fetch_add(&metrics.commit_failures, 1);
        ft_log_warn("worker.batch_abandoned",
                    "partition=%d commands=%zu later_commands=%zu reason=\"stopping while PostgreSQL is away\"",
                    r->partition, r->batch.commands, p != NULL ? p->batch.commands : 0);
        drop_partition(w, r->partition);
    }
    ft_batch_free(&r->batch);
}

/* Takes the finished commit's results, if any, waiting up to wait_ms (negative: for ever).
 * True when the committer is free afterwards. */
static bool collect(struct worker *w, int wait_ms)
{
    w->last_commit_stored = false;
    if (!ft_committer_collect(w->committer, wait_ms, on_committed, w))
        return !ft_committer_busy(w->committer);
    if (w->last_commit_stored) {
        atomic_fetch_add(&metrics.batches, 1);
        atomic_fetch_add(&metrics.commit_micros, (uint_fast64_t)w->last_commit_micros);
    }
    return true;
}

/* Adds the partition's batch, if it has one, to the next commit. */
static void add(struct worker *w, struct partition *p)
{
    if (p == NULL || p->batch.next_offset < 0)
        return;
    int64_t elapsed = ft_clock_monotonic_ms() - p->batch_started_ms;
    double rate = (double)p->batch.commands * 1000.0 / (double)(elapsed > 0 ? elapsed : 1);
    p->rate_per_sec = p->rate_per_sec > 0 ? 0.8 * p->rate_per_sec + 0.2 * rate : rate;
    ft_committer_add(w->committer, p->number, p->epoch, &p->batch, p->rate_per_sec);
}

/* Hands every partition's batch to the committer in one commit, waiting for the one in
 * flight first: a commit costs PostgreSQL about the same for one partition as for many. */
static void submit_all(struct worker *w)
{
    if (ft_committer_busy(w->committer))
        collect(w, -1);
    for (int32_t i = 0; i < PARTITIONS_MAX; i++)
        add(w, w->parts[i]); /* the collected results may have dropped some (fenced) */
    ft_committer_submit(w->committer);
}

/* Stores every batch and waits until they are stored (revocation, stop). */
static void flush_now(struct worker *w)
{
    submit_all(w);
    collect(w, -1);
}

/*
 * Pauses (or resumes) fetching on every assigned partition. While a full batch waits
 * for the committer — PostgreSQL slow or away — the worker goes on polling, so it stays
 * in the group (max.poll.interval.ms) without piling up decisions in memory.
 */
static void hold_back(struct worker *w, bool pause)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(w->consumer, &assigned) == RD_KAFKA_RESP_ERR_NO_ERROR && assigned != NULL) {
        if (pause)
            rd_kafka_pause_partitions(w->consumer, assigned);
        else
            rd_kafka_resume_partitions(w->consumer, assigned);
        rd_kafka_topic_partition_list_destroy(assigned);
    }
    w->held_back = pause;
}

/* Loads a schedule's seats and live reservations into the partition's decider. */
static bool load_schedule(struct worker *w, struct partition *p, int64_t schedule_id)
{
    if (!db_ready(w) || ft_wstore_load_schedule(w->db, p->decider, schedule_id) != FT_WSTORE_OK)
        return false;
    atomic_fetch_add(&metrics.schedule_loads, 1);
    return true;
}

/* --- preloading ------------------------------------------------------------------ */

static void preload_clear(struct worker *w)
{
    free(w->preload);
    w->preload = NULL;
    w->preload_count = w->preload_next = 0;
}

/*
 * Plans to load every open schedule of the partitions just assigned. A schedule is
 * otherwise loaded by its first command: at an on-sale's first second, the commands of
 * every partition then waited for their schedules one after another (35-45 ms each for
 * 10,000 seats), and the holds they got came in a burst. Loading a schedule before its
 * first command gives the same state: nothing of it is decided and not yet stored.
 */
static void preload_plan(struct worker *w, rd_kafka_t *rk)
{
    preload_clear(w);
    int64_t *ids = NULL;
    size_t count = 0, kept = 0;
    if (!ft_kafka_partition_count(rk, w->config->topic_commands, 5000, &w->partition_count) ||
        w->partition_count <= 0 || !db_ready(w) || ft_wstore_open_schedules(w->db, &ids, &count) != FT_WSTORE_OK) {
        ft_log_warn("worker.preload_skipped", "reason=\"no partition count or no open schedules read\"");
        free(ids);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        int32_t number = ft_kafka_schedule_partition(ids[i], w->partition_count);
        if (number >= 0 && number < PARTITIONS_MAX && w->parts[number] != NULL)
            ids[kept++] = ids[i];
    }
    w->preload = ids;
    w->preload_count = kept;
    ft_log_info("worker.preload_planned", "schedules=%zu", kept);
}

/* Loads the next planned schedule that is still ours and not loaded yet, if any. Called
 * when no command is waiting, so an on-sale's commands wait for one load at most. */
static void preload_one(struct worker *w)
{
    while (w->preload_next < w->preload_count) {
        int64_t id = w->preload[w->preload_next++];
        struct partition *p = w->parts[ft_kafka_schedule_partition(id, w->partition_count)];
        if (p == NULL || ft_decider_knows(p->decider, id))
            continue;
        if (!load_schedule(w, p, id)) {
            /* PostgreSQL is away: first commands load their schedules, as without a plan. */
            ft_log_warn("worker.preload_stopped", "schedule=%" PRId64 " left=%zu", id,
                        w->preload_count - w->preload_next + 1);
            preload_clear(w);
        }
        return;
    }
    if (w->preload != NULL) {
        ft_log_info("worker.preload_done", "schedules=%zu", w->preload_count);
        preload_clear(w);
    }
}

/* --- rebalancing ----------------------------------------------------------------- */

/* Claims a newly assigned partition; false while PostgreSQL cannot be reached. */
static bool claim(struct worker *w, int32_t number, int64_t *offset)
{
    struct partition *p = calloc(1, sizeof *p);
    int64_t next = 0, epoch = 0, id_base = 0;
    if (p == NULL || !db_ready(w) ||
        ft_wstore_claim(w->db, w->config->topic_commands, number, &next, &epoch, &id_base) != FT_WSTORE_OK ||
        (p->decider = ft_decider_new(number, w->config->seat_limit_per_user)) == NULL) {
        free(p);
        return false;
    }
    ft_decider_set_id_base(p->decider, id_base);
    p->number = number;
    p->epoch = epoch;
    p->next_offset = p->decided_offset = next;
    ft_batch_init(&p->batch);
    drop_partition(w, number);
    w->parts[number] = p;
    atomic_fetch_add(&metrics.partitions, 1);
    *offset = next;
    ft_log_info("worker.partition_claimed", "partition=%d epoch=%" PRId64 " resume_offset=%" PRId64, number, epoch,
                next);
    return true;
}

static void assign_partitions(struct worker *w, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list)
{
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        if (tp->partition < 0 || tp->partition >= PARTITIONS_MAX) {
            ft_log_error("worker.partition_out_of_range", "partition=%d max=%d", tp->partition, PARTITIONS_MAX - 1);
            continue;
        }
        int64_t offset = 0;
        /* Without the offset from PostgreSQL the partition cannot be written: wait for it. */
        while (!claim(w, tp->partition, &offset) && !*w->stop)
            sleep(1);
        tp->offset = offset;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_error("worker.assign_failed", "error=\"%s\"", rd_kafka_err2str(err));
    preload_plan(w, rk);
}

static void revoke_partitions(struct worker *w, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *list)
{
    for (int i = 0; i < list->cnt; i++) {
        int32_t number = list->elems[i].partition;
        if (number >= 0 && number < PARTITIONS_MAX && w->parts[number] != NULL) {
            flush_now(w);
            drop_partition(w, number);
        }
    }
    rd_kafka_assign(rk, NULL);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *list, void *opaque)
{
    struct worker *w = opaque;
    ft_log_info("worker.rebalance", "event=%s partitions=%d",
                err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assign" : "revoke", list->cnt);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        assign_partitions(w, rk, list);
    else
        revoke_partitions(w, rk, list);
}

/* --- deciding -------------------------------------------------------------------- */

static void decide_message(struct worker *w, struct partition *p, const rd_kafka_message_t *msg)
{
    if (msg->offset < p->decided_offset)
        return; /* already decided */
    struct ft_command cmd;
    char why[128];
    if (p->batch.next_offset < 0)
        p->batch_started_ms = ft_clock_monotonic_ms();
    if (!ft_command_decode(msg->payload, msg->len, &cmd, why, sizeof why)) {
        ft_log_warn("worker.command_skipped", "partition=%d offset=%" PRId64 " reason=\"%s\"", p->number, msg->offset,
                    why);
        p->batch.next_offset = p->decided_offset = msg->offset + 1; /* passed over, durably */
        p->batch.commands++;
        return;
    }
    for (;;) {
        enum ft_decide_result result = ft_decide(p->decider, &cmd, msg->offset, &p->batch);
        if (result == FT_DECIDED) {
            p->decided_offset = msg->offset + 1;
            return;
        }
        if (result == FT_DECIDE_OUT_OF_MEMORY) {
            ft_log_error("worker.out_of_memory", "partition=%d offset=%" PRId64, p->number, msg->offset);
            w->fatal = true;
            return;
        }
        /* The schedule is not in memory yet: load it, retrying while PostgreSQL is away. */
        while (!*w->stop && !load_schedule(w, p, cmd.schedule_id))
            sleep(1);
        if (*w->stop)
            return; /* undecided: the offset does not move past it */
    }
}

/*
 * The log cannot give the offset the partition goes on from (auto.offset.reset=error):
 * its stored offset is below the log's start (retention or deleted records took commands
 * nobody decided) or beyond its end (the topic was recreated, or the broker lost its
 * tail). Going on from either end of the log would pass over accepted commands without a
 * word, or take new ones for decided, so the partition stops here until an operator
 * chooses where it resumes (docs/operations.md, "A partition at a gap in the log").
 * librdkafka fetches nothing more of it; the other partitions go on.
 */
static void stop_at_gap(struct worker *w, struct partition *p, const rd_kafka_message_t *msg)
{
    if (p->log_gap)
        return;
    int64_t low = -1, high = -1;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(w->consumer, w->config->topic_commands, p->number, &low, &high, 5000);
    const char *why = err != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_err2str(err)
                      : p->decided_offset < low     ? "commands before the log's start were deleted undecided"
                      : p->decided_offset > high    ? "the log ends before the stored offset"
                                                    : "the broker refused the offset";
    ft_log_error("worker.log_gap",
                 "partition=%d resume_offset=%" PRId64 " log_start=%" PRId64 " log_end=%" PRId64
                 " reason=\"%s\" error=\"%s\"",
                 p->number, p->decided_offset, low, high, why, rd_kafka_message_errstr(msg));
    p->log_gap = true;
    atomic_fetch_add(&metrics.partitions_at_gap, 1);
}

static void handle(struct worker *w, rd_kafka_message_t *msg)
{
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return;
    if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && msg->partition >= 0 && msg->partition < PARTITIONS_MAX &&
        w->parts[msg->partition] != NULL) {
        stop_at_gap(w, w->parts[msg->partition], msg);
        return;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ft_log_warn("worker.consume_error", "error=\"%s\"", rd_kafka_message_errstr(msg));
        return;
    }
    if (msg->partition < 0 || msg->partition >= PARTITIONS_MAX || w->parts[msg->partition] == NULL)
        return; /* not ours (any more) */
    struct partition *p = w->parts[msg->partition];
    decide_message(w, p, msg);
    if (p->batch.commands < (size_t)w->config->worker_batch_max)
        return;
    /* Usually the batch in flight is stored within milliseconds: wait for it. When
     * PostgreSQL is slow or away, stop fetching instead and go on polling, so that the
     * worker stays in its group (max.poll.interval.ms) without piling up decisions. */
    if (collect(w, HOLD_BACK_AFTER_MS))
        submit_all(w);
    else if (!w->held_back)
        hold_back(w, true);
}

/*
 * Hands every batch over when the committer is free and one of them is full (then, with
 * none left full, consumption resumes) or has waited long enough.
 */
static void flush_due(struct worker *w)
{
    collect(w, 0);
    if (ft_committer_busy(w->committer))
        return;
    bool full = false, due = false;
    int64_t now = ft_clock_monotonic_ms();
    for (int32_t i = 0; i < PARTITIONS_MAX; i++) {
        struct partition *p = w->parts[i];
        if (p == NULL || p->batch.next_offset < 0)
            continue;
        full = full || p->batch.commands >= (size_t)w->config->worker_batch_max;
        due = due || now - p->batch_started_ms >= w->config->worker_batch_ms;
    }
    if (!full && w->held_back)
        hold_back(w, false);
    if (full || due)
        submit_all(w);
}

/* --- set-up ---------------------------------------------------------------------- */

static rd_kafka_t *consumer_new(struct worker *w, char *err, size_t errlen)
{
    const struct ft_kafka_setting settings[] = {
        { "group.id", w->config->worker_group },
        { "enable.auto.commit", "false" }, /* the offset lives in PostgreSQL */
        { "enable.auto.offset.store", "false" },
        { "auto.offset.reset", "error" }, /* never pass over a gap in the log: stop_at_gap */
        { "partition.assignment.strategy", "roundrobin" }, /* eager: assign/revoke whole lists */
        { "session.timeout.ms", "6000" },                   /* a dead worker's partitions move within seconds */
        { "heartbeat.interval.ms", "1500" },
        { "fetch.wait.max.ms", "10" }, /* with fetch.min.bytes: a fetch per 10 ms, not per command */
        { "fetch.min.bytes", "262144" },
        { "enable.partition.eof", "false" },
    };
    return ft_kafka_consumer_new(w->config->kafka_brokers, settings, sizeof settings / sizeof settings[0], on_rebalance,
                                 w, err, errlen);
}

static bool subscribe(struct worker *w)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, w->config->topic_commands, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(w->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_error("worker.subscribe_failed", "topic=%s error=\"%s\"", w->config->topic_commands,
                     rd_kafka_err2str(err));
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

char *ft_pipeline_metrics(void *ctx)
{
    (void)ctx;
    struct ft_strbuf t;
    ft_strbuf_init(&t);
    ft_strbuf_printf(&t,
                     "# HELP ft_worker_commands_total Commands decided and durably written.\n"
                     "# TYPE ft_worker_commands_total counter\nft_worker_commands_total %llu\n"
                     "# HELP ft_worker_batches_total Commits to PostgreSQL, each with every partition's batch.\n"
                     "# TYPE ft_worker_batches_total counter\nft_worker_batches_total %llu\n"
                     "# HELP ft_worker_commit_seconds_total Time spent committing batches.\n"
                     "# TYPE ft_worker_commit_seconds_total counter\nft_worker_commit_seconds_total %.6f\n"
                     "# HELP ft_worker_commit_failures_total Partition batches abandoned on stopping with PostgreSQL "
                     "away.\n"
                     "# TYPE ft_worker_commit_failures_total counter\nft_worker_commit_failures_total %llu\n"
                     "# HELP ft_worker_commit_retries_total Commits PostgreSQL did not take, tried again after half a "
                     "second.\n"
                     "# TYPE ft_worker_commit_retries_total counter\nft_worker_commit_retries_total %llu\n"
                     "# HELP ft_worker_fenced_total Partitions dropped because another worker claimed them.\n"
                     "# TYPE ft_worker_fenced_total counter\nft_worker_fenced_total %llu\n"
                     "# HELP ft_worker_batches_refused_total Partition batches whose data PostgreSQL refused; each "
                     "stopped its partition.\n"
                     "# TYPE ft_worker_batches_refused_total counter\nft_worker_batches_refused_total %llu\n"
                     "# HELP ft_worker_partitions Partitions this worker writes.\n"
                     "# TYPE ft_worker_partitions gauge\nft_worker_partitions %d\n"
                     "# HELP ft_worker_partitions_at_gap Partitions stopped: the log cannot give the offset they go "
                     "on from.\n"
                     "# TYPE ft_worker_partitions_at_gap gauge\nft_worker_partitions_at_gap %d\n"
                     "# HELP ft_worker_schedule_loads_total Schedules read from PostgreSQL into memory.\n"
                     "# TYPE ft_worker_schedule_loads_total counter\nft_worker_schedule_loads_total %llu\n",
                     (unsigned long long)atomic_load(&metrics.commands), (unsigned long long)atomic_load(&metrics.batches),
                     (double)atomic_load(&metrics.commit_micros) / 1e6,
                     (unsigned long long)atomic_load(&metrics.commit_failures),
                     (unsigned long long)atomic_load(&metrics.commit_retries),
                     (unsigned long long)atomic_load(&metrics.fenced),
                     (unsigned long long)atomic_load(&metrics.refused), atomic_load(&metrics.partitions),
                     atomic_load(&metrics.partitions_at_gap),
                     (unsigned long long)atomic_load(&metrics.schedule_loads));
    return ft_strbuf_take(&t);
}

bool ft_pipeline_run(const struct ft_config *config, volatile sig_atomic_t *stop)
{
    struct worker w = { .config = config, .stop = stop };
    char err[512] = "the committer or the subscription did not start";
    w.db = PQconnectdb(config->database_url);
    w.committer = ft_committer_start(config->database_url, config->topic_commands, config->kafka_brokers,
                                     config->topic_outcomes, stop, &metrics.commit_retries);
    if (w.committer != NULL)
        w.consumer = consumer_new(&w, err, sizeof err);
    bool ok = w.consumer != NULL && w.committer != NULL && subscribe(&w);
    if (!ok)
        ft_log_error("worker.start_failed", "error=\"%s\"", err);
    else
        ft_log_info("worker.started", "topic=%s batch_max=%d batch_ms=%d", config->topic_commands,
                    config->worker_batch_max, config->worker_batch_ms);
    while (ok && !*stop && !w.fatal) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(w.consumer, 10);
        if (msg != NULL) {
            handle(&w, msg);
            rd_kafka_message_destroy(msg);
        } else if (!w.held_back) {
            preload_one(&w); /* nothing waiting; and PostgreSQL is not behind */
        }
        flush_due(&w);
    }
    preload_clear(&w);
    if (w.consumer != NULL) {
        if (w.committer != NULL)
            rd_kafka_consumer_close(w.consumer); /* revokes: pending batches are written */
        rd_kafka_destroy(w.consumer);
    }
    if (w.committer != NULL)
        collect(&w, -1);
    ft_committer_stop(w.committer);
    for (int32_t i = 0; i < PARTITIONS_MAX; i++)
        drop_partition(&w, i);
    PQfinish(w.db);
    return ok && !w.fatal;
}

/* --- replay -------------------------------------------------------------------------- */

/* Claims one partition for a replay: the database must hold nothing of it yet. */
static bool replay_claim(struct worker *w, int32_t number, rd_kafka_topic_partition_list_t *list, int64_t *end)
{
    int64_t low = 0, high = 0, offset = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(w->consumer, w->config->topic_commands, number, &low, &high, 10000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || low > 0) {
        ft_log_error("replay.refused", "partition=%d reason=\"%s\"", number,
                     err ? rd_kafka_err2str(err) : "the log no longer starts at offset 0");
        return false;
    }
    if (!claim(w, number, &offset) || offset != 0) {
        ft_log_error("replay.refused", "partition=%d reason=\"the database already holds its state\"", number);
        return false;
    }
    *end = high;
    rd_kafka_topic_partition_list_add(list, w->config->topic_commands, number)->offset = RD_KAFKA_OFFSET_BEGINNING;
    return true;
}

/* Every partition decided (durable: false) or stored (durable: true) up to its end. */
static bool replay_reached(struct worker *w, const int64_t *ends, bool durable)
{
    for (int32_t i = 0; i < PARTITIONS_MAX; i++) {
        const struct partition *p = w->parts[i];
        if (p != NULL && (durable ? p->next_offset : p->decided_offset) < ends[i])
            return false;
    }
    return true;
}

bool ft_pipeline_replay(const struct ft_config *config, int32_t only_partition, volatile sig_atomic_t *stop,
                        char digest[FT_STATE_DIGEST_SIZE])
{
    struct ft_config replay_config = *config;
    snprintf(replay_config.worker_group, sizeof replay_config.worker_group, "ft-replay-%d", (int)getpid());
    struct worker w = { .config = &replay_config, .stop = stop, .replaying = true };
    static int64_t ends[PARTITIONS_MAX];
    int64_t started_us = ft_clock_monotonic_us();
    char err[512] = "";
    int32_t partitions = 0;
    w.db = PQconnectdb(config->database_url);
    w.consumer = consumer_new(&w, err, sizeof err);
    w.committer = ft_committer_start(config->database_url, config->topic_commands, NULL, NULL, stop,
                                     &metrics.commit_retries);
    bool ok = w.consumer != NULL && w.committer != NULL && PQstatus(w.db) == CONNECTION_OK &&
              ft_kafka_partition_count(w.consumer, config->topic_commands, 10000, &partitions) &&
              only_partition < partitions && partitions <= PARTITIONS_MAX;
    if (partitions > PARTITIONS_MAX)
        snprintf(err, sizeof err, "the topic has %d partitions; a worker takes at most %d", partitions, PARTITIONS_MAX);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions > 0 ? partitions : 1);
    for (int32_t i = 0; ok && i < partitions; i++)
        if (only_partition < 0 || i == only_partition)
            ok = replay_claim(&w, i, list, &ends[i]);
    if (ok)
        ok = rd_kafka_assign(w.consumer, list) == RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(list);
    if (!ok)
        ft_log_error("replay.start_failed", "topic=%s error=\"%s\"", config->topic_commands, err);
    while (ok && !*stop && !w.fatal && !replay_reached(&w, ends, false)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(w.consumer, 100);
        if (msg != NULL) {
            handle(&w, msg);
            rd_kafka_message_destroy(msg);
        }
        flush_due(&w);
    }
    if (ok)
        flush_now(&w);
    if (w.committer != NULL)
        collect(&w, -1);
    ok = ok && !*stop && !w.fatal && replay_reached(&w, ends, true);
    int64_t stored_us = ft_clock_monotonic_us();
    ok = ok && ft_state_digest(w.db, config->topic_commands, digest);
    if (ok) {
        /* Replaying and digesting apart: the digest reads the whole state back, once. */
        int64_t commands = 0;
        for (int32_t i = 0; i < PARTITIONS_MAX; i++)
            commands += w.parts[i] != NULL ? ends[i] : 0;
        ft_log_info("replay.finished", "commands=%" PRId64 " replay_seconds=%.3f digest_seconds=%.3f", commands,
                    (double)(stored_us - started_us) / 1e6, (double)(ft_clock_monotonic_us() - stored_us) / 1e6);
    }
    ft_committer_stop(w.committer);
    if (w.consumer != NULL) {
        rd_kafka_consumer_close(w.consumer);
        rd_kafka_destroy(w.consumer);
    }
    for (int32_t i = 0; i < PARTITIONS_MAX; i++)
        drop_partition(&w, i);
    PQfinish(w.db);
    return ok;
}
