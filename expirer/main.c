/*
 * ft-expirer: turns time into commands. Every FT_EXPIRER_INTERVAL_MS it sends an EXPIRE
 * command for each hold past its expiry (at most FT_EXPIRER_BATCH per turn) to the
 * hold's schedule partition. Stops cleanly on SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/config.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "sweep.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

static void sleep_ms(int ms)
{
    struct timespec t = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL); /* a stop signal cuts it short */
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
    ft_log_info("expirer.started", "topic=%s partitions=%d interval_ms=%d batch=%d", config->topic_commands,
                partitions, config->expirer_interval_ms, config->expirer_batch);
    while (!stop_requested) {
        if (PQstatus(db) != CONNECTION_OK)
            PQreset(db);
        int sent = PQstatus(db) == CONNECTION_OK ? ft_sweep_once(config, db, producer, partitions, &mark) : -1;
        /* A full batch means more are due: go again at once. */
        if (sent < config->expirer_batch)
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
    char err[256];
    if (!ft_config_load(&config, ft_env_process, 0, err, sizeof err)) {
        fprintf(stderr, "ft-expirer: %s\n", err);
        return EXIT_FAILURE;
    }
    (void)ft_log_set_level(config.log_level);
    struct sigaction action = { .sa_handler = on_stop_signal };
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    return run(&config);
}
