/*
 * The worker's main loop: a consumer-group member that is the single writer of the
 * partitions it is assigned. On assignment it claims each partition in PostgreSQL
 * (new epoch) and resumes from the offset stored there, not from Kafka's committed
 * offset; it decides commands in log order and writes them in batches bounded by size
 * and time. One thread does consuming and rebalancing (librdkafka 2.0 wants that).
 */
#ifndef FT_WORKER_PIPELINE_H
#define FT_WORKER_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "ft/config.h"
#include "ft/state_digest.h"

/* Runs until *stop becomes non-zero. Returns false on a fatal error (logged). */
bool ft_pipeline_run(const struct ft_config *config, volatile sig_atomic_t *stop);

/* The worker's metrics as Prometheus text (malloc'd); an ft_metrics_render_fn. */
char *ft_pipeline_metrics(void *ctx);

/*
 * Rebuilds the state of one partition (only_partition >= 0) or all from offset 0 into
 * the database of config->database_url, which must hold the catalog (users, schedules,
 * seats) and nothing of those partitions yet. Reads up to each partition's end as it is
 * when the replay starts, publishes nothing, and fills digest with ft_state_digest.
 */
bool ft_pipeline_replay(const struct ft_config *config, int32_t only_partition, volatile sig_atomic_t *stop,
                        char digest[FT_STATE_DIGEST_SIZE]);

#endif
