/*
 * Tells the ingress instances what was decided: after a batch is durable in
 * PostgreSQL, each outcome and the partition's progress go to FT_TOPIC_OUTCOMES (same
 * partition number as the commands). Best effort: PostgreSQL is the truth, and an
 * ingress that misses a message reads request_outcomes instead.
 */
#ifndef FT_WORKER_PUBLISH_H
#define FT_WORKER_PUBLISH_H

#include <librdkafka/rdkafka.h>

#include "batch.h"

/* Queues the batch's outcomes and a progress message. Waits at most 100 ms, once, for
 * room in librdkafka's queue; what still finds it full is dropped and logged. */
void ft_publish_batch(rd_kafka_t *producer, const char *topic, int32_t partition, const struct ft_batch *batch,
                      double rate_per_sec);

#endif
