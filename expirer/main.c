/*
 * ft-expirer: turns time into commands. Every FT_EXPIRER_INTERVAL_MS it sends an EXPIRE
 * command for each hold past its expiry (at most FT_EXPIRER_BATCH per turn) to the
 * hold's schedule partition (sweep.c), and sends again payment confirmations that never
 * reached the log (confirmations.c) and deletes old Idempotency-Keys (key_pruning.c). On
 * a thread of its own it carries out the refunds in the outbox (refunds.c). Stops
 * cleanly on SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/clock.h"
#include "ft/config.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/program.h"
#include "ft/ops_http.h"
#include "ft/strbuf.h"
#include "confirmations.h"
#include "key_pruning.h"
#include "refunds.h"
#include "sweep.h"

static volatile sig_atomic_t stop_requested;
static atomic_uint_fast64_t expiries_sent, sweep_failures, confirmations_resent, keys_pruned;

/* Old keys are looked for this often, or at once again after a full batch. */
#define KEY_PRUNE_EVERY_MS 10000
/* Whether idempotency_keys grew past its statistics is asked this often (a catalog read). */
#define KEY_STATS_EVERY_MS 2000

static char *render_metrics(void *ctx)
{
    struct ft_refund_counts refunds;
    ft_refunds_counts(ctx, &refunds);
    struct ft_strbuf t;
    ft_strbuf_init(&t);
    ft_strbuf_printf(&t,
                     "# HELP ft_expirer_commands_total EXPIRE commands acknowledged by Kafka.\n"
                     "# TYPE ft_expirer_commands_total counter\nft_expirer_commands_total %llu\n"
                     "# HELP ft_expirer_sweep_failures_total Turns that failed and will be repeated.\n"
                     "# TYPE ft_expirer_sweep_failures_total counter\nft_expirer_sweep_failures_total %llu\n",
                     (unsigned long long)atomic_load(&expiries_sent), (unsigned long long)atomic_load(&sweep_failures));
    ft_strbuf_printf(&t,
                     "# HELP ft_expirer_confirmations_resent_total Payment confirmations sent again after"
                     " they stayed undecided.\n"
                     "# TYPE ft_expirer_confirmations_resent_total counter\n"
                     "ft_expirer_confirmations_resent_total %llu\n"
                     "# HELP ft_expirer_keys_pruned_total Idempotency-Keys deleted for their age.\n"
                     "# TYPE ft_expirer_keys_pruned_total counter\nft_expirer_keys_pruned_total %llu\n"
                     "# HELP ft_refunds_completed_total Refunds PortOne confirmed.\n"
                     "# TYPE ft_refunds_completed_total counter\nft_refunds_completed_total %llu\n"
                     "# HELP ft_refund_attempts_failed_total Refund attempts that left the refund due.\n"
                     "# TYPE ft_refund_attempts_failed_total counter\nft_refund_attempts_failed_total %llu\n",
                     (unsigned long long)atomic_load(&confirmations_resent),
                     (unsigned long long)atomic_load(&keys_pruned), (unsigned long long)refunds.completed,
                     (unsigned long long)refunds.failed_attempts);
    return ft_strbuf_take(&t);
}

static void sleep_ms(int ms)
{
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL); /* a stop signal cuts it short */
}

/* A new sweep producer, for ft_kafka_producer_revive. */
static rd_kafka_t *sweep_producer_make(const void *config, char *err, size_t errlen)
{
    return ft_sweep_producer_new(config, err, errlen);
}

static int run(const struct ft_config *config)
{
    char err[512];
    rd_kafka_t *producer = ft_sweep_producer_new(config, err, sizeof err);
    if (producer == NULL) {
        ft_log_error("expirer.start_failed", "error=\"%s\"", err);
        return EXIT_FAILURE;
    }
    int32_t partitions = 0;
    while (!stop_requested && !ft_kafka_partition_count(producer, config->topic_commands, 5000, &partitions)) {
        ft_log_warn("expirer.waiting_for_topic", "topic=%s", config->topic_commands);
        sleep_ms(1000);
    }
    PGconn *db = PQconnectdb(config->database_url);
    struct ft_sweep_mark mark = { 0 };
    int64_t next_prune_ms = 0, next_stats_ms = 0;
    ft_log_info("expirer.started", "topic=%s partitions=%d interval_ms=%d batch=%d", config->topic_commands,
                partitions, config->expirer_interval_ms, config->expirer_batch);
    while (!stop_requested) {
        if (PQstatus(db) != CONNECTION_OK)
            PQreset(db);
        int sent = PQstatus(db) == CONNECTION_OK ? ft_sweep_once(config, db, producer, partitions, &mark) : -1;
        if (sent > 0)
            atomic_fetch_add(&expiries_sent, (uint_fast64_t)sent);
        else if (sent < 0)
            atomic_fetch_add(&sweep_failures, 1);
        int resent =
            PQstatus(db) == CONNECTION_OK ? ft_resend_confirmations_once(config, db, producer, partitions) : -1;
        if (resent > 0)
            atomic_fetch_add(&confirmations_resent, (uint_fast64_t)resent);
        /* A producer in librdkafka's fatal state would fail every later turn until a
         * restart (kafka_client.h): replaced, its commands are sent again next turn. */
        if (sent < 0 || resent < 0)
            (void)ft_kafka_producer_revive(&producer, sweep_producer_make, config);
        int pruned = 0;
        if (PQstatus(db) == CONNECTION_OK && ft_clock_monotonic_ms() >= next_prune_ms) {
            pruned = ft_prune_keys_once(config, db);
            if (pruned > 0)
                atomic_fetch_add(&keys_pruned, (uint_fast64_t)pruned);
            next_prune_ms = ft_clock_monotonic_ms() + (pruned == FT_KEY_PRUNE_BATCH ? 0 : KEY_PRUNE_EVERY_MS);
        }
        if (PQstatus(db) == CONNECTION_OK && ft_clock_monotonic_ms() >= next_stats_ms) {
            ft_refresh_key_stats_once(db);
            next_stats_ms = ft_clock_monotonic_ms() + KEY_STATS_EVERY_MS;
        }
        /* A full batch means more are due: go again at once. */
        if (sent < config->expirer_batch && pruned < FT_KEY_PRUNE_BATCH)
            sleep_ms(config->expirer_interval_ms);
    }
    PQfinish(db);
    rd_kafka_flush(producer, 5000);
    rd_kafka_destroy(producer);
    ft_log_info("expirer.stopped", "ok=1");
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fputs("usage: ft-expirer   (configuration in FT_* environment variables)\n", stderr);
        return strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    struct ft_config config;
    if (!ft_program_configure("ft-expirer", 0, &config))
        return EXIT_FAILURE;
    (void)ft_log_start_writer(); /* without it, each line is written by its caller */
    ft_program_stop_on_signals(&stop_requested);
    struct ft_refunds *refunds = ft_refunds_start(&config);
    struct ft_ops_http *ops = ft_ops_http_start(config.http_addr, config.expirer_http_port, render_metrics, refunds);
    if (ops == NULL) {
        ft_refunds_stop(refunds);
        return EXIT_FAILURE;
    }
    int status = run(&config);
    ft_ops_http_stop(ops);
    ft_refunds_stop(refunds);
    return status;
}
