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

#include "ft/config.h"

/* Runs until *stop becomes non-zero. Returns false on a fatal error (logged). */
bool ft_pipeline_run(const struct ft_config *config, volatile sig_atomic_t *stop);

#endif
