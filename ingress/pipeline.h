/*
 * The ingress's side of the reservation pipeline: it puts RESERVE commands on the
 * commands topic and follows what becomes of them.
 *
 * Threads it runs (besides libmicrohttpd's):
 *   - the producer's poller: serves delivery reports (rd_kafka_poll) and replaces the
 *     idempotent producer after a fatal error (librdkafka 2.0.2 can end a disconnect in
 *     a fatal "sequence desynchronization");
 *   - the tail: one consumer outside any group, assigned every partition of the commands
 *     topic from each writer's decided offset (PostgreSQL partition_offsets) and of the
 *     outcomes topic from its end at start-up; it feeds the token registry (every
 *     instance's tokens, outcomes, writer progress) and sweeps it;
 *   - the catalog refresher: every 2 s, new schedules and open/closed changes.
 *
 * Ownership: the pipeline owns the catalog and the registry it hands out; both live
 * until ft_pipeline_stop.
 */
#ifndef FT_INGRESS_PIPELINE_H
#define FT_INGRESS_PIPELINE_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "ft/config.h"
#include "ft/db_pool.h"
#include "registry.h"

/* How long Kafka may take to acknowledge a command before the request is refused. */
#define FT_PIPELINE_DELIVERY_TIMEOUT_MS 5000

/*
 * A command on its way to Kafka, embedded by the caller in its own request object.
 * done is called once on the producer's poll thread: err 0 when Kafka has the command
 * durably (acks=all), with its offset, which may be negative when librdkafka did not
 * learn it (a retried batch under idempotence); otherwise the reason it was not taken.
 * done must not block; the object must live until done has returned.
 */
struct ft_delivery {
    void (*done)(struct ft_delivery *delivery, rd_kafka_resp_err_t err, int32_t partition, int64_t offset);
    int64_t produced_us; /* set by ft_pipeline_produce: when it was handed to librdkafka (monotonic) */
};

struct ft_pipeline;

/*
 * Creates the producer and the tail consumer, reads the partition counts of the two
 * topics, loads the catalog and starts the threads. NULL with a reason in err when a
 * topic does not exist or a client cannot be made. When no broker answers yet it starts
 * anyway: requests are refused with 503 until the partition count is known.
 */
__attribute__((warn_unused_result)) struct ft_pipeline *ft_pipeline_start(const struct ft_config *config,
                                                                          struct ft_db_pool *db, char *err,
                                                                          size_t errlen);

/* Stops taking commands and waits until every command handed to Kafka has had its
 * delivery report (so every deferred answer has been resumed); after timeout_ms what is
 * still queued is purged (reported as failed). Call before ft_server_stop. */
void ft_pipeline_drain(struct ft_pipeline *pipeline, int timeout_ms);

/* Stops the threads, closes the clients and frees everything. NULL is ignored. */
void ft_pipeline_stop(struct ft_pipeline *pipeline);

struct ft_catalog *ft_pipeline_catalog(struct ft_pipeline *pipeline);
struct ft_registry *ft_pipeline_registry(struct ft_pipeline *pipeline);

/* Partitions of the commands topic; 0 while no broker has said. */
int32_t ft_pipeline_partitions(struct ft_pipeline *pipeline);

/* Whether the tail has read the commands topic up to where it ended when the tail
 * started: until then a token missing from memory may be one not read yet. */
bool ft_pipeline_caught_up(struct ft_pipeline *pipeline);

/*
 * Hands an encoded command (copied) to the producer for `partition`, keyed by the
 * schedule id. 0 when queued: delivery->done will be called. Otherwise the reason it
 * was refused at once (stopping, queue full, producer being replaced), and done is
 * never called. Never blocks.
 */
rd_kafka_resp_err_t ft_pipeline_produce(struct ft_pipeline *pipeline, int32_t partition, int64_t schedule_id,
                                        const char *payload, size_t len, struct ft_delivery *delivery);

/* Reads one schedule (just created by this process) into the catalog. */
void ft_pipeline_catalog_refresh(struct ft_pipeline *pipeline, int64_t schedule_id);

/* Counts a request refused because Kafka did not take it (for the metrics). */
void ft_pipeline_count_refused(struct ft_pipeline *pipeline);

/* The pipeline's metrics in the Prometheus text format (malloc'd), or NULL. */
char *ft_pipeline_metrics(struct ft_pipeline *pipeline);

/* Milliseconds of the monotonic clock, the registry's time. */
int64_t ft_pipeline_now_ms(void);

#endif
