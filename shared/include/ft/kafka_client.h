/*
 * Kafka helpers shared by the programs: an idempotent producer, a readiness probe and
 * topic creation through the admin API (so no Kafka command-line tools are needed).
 */
#ifndef FT_KAFKA_CLIENT_H
#define FT_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A configuration with the brokers, our client id and our logger set: the start of every
 * client. NULL with errstr filled when a value is refused.
 */
__attribute__((warn_unused_result)) rd_kafka_conf_t *ft_kafka_conf_new(const char *brokers, char *errstr,
                                                                        size_t errlen);

/* One librdkafka setting: name and value. */
struct ft_kafka_setting {
    const char *name, *value;
};

/*
 * Creates a consumer: conf from ft_kafka_conf_new, then `settings` (group.id among
 * them), then rebalance (may be NULL) with opaque. Its main queue is the consumer's, so
 * rd_kafka_consumer_poll serves callbacks. NULL with errstr filled on a refusal.
 */
__attribute__((warn_unused_result)) rd_kafka_t *ft_kafka_consumer_new(
    const char *brokers, const struct ft_kafka_setting *settings, size_t count,
    void (*rebalance)(rd_kafka_t *, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t *, void *), void *opaque,
    char *errstr, size_t errlen);

/*
 * Creates a producer for `brokers` with idempotence on (acks=all, safe retries).
 * Returns NULL and fills errstr on a configuration error.
 */
__attribute__((warn_unused_result)) rd_kafka_t *ft_kafka_producer_new(const char *brokers, char *errstr,
                                                                      size_t errlen);

/*
 * Reads how many partitions `topic` has. False when the topic does not exist or no
 * broker answered within timeout_ms.
 */
__attribute__((warn_unused_result)) bool ft_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                                                  int32_t *count);

/* The partition of a schedule's commands: one schedule, one partition, one writer. */
int32_t ft_kafka_schedule_partition(int64_t schedule_id, int32_t partitions);

/*
 * librdkafka 2.0.2 can end a disconnect of an idempotent producer in a fatal "sequence
 * desynchronization" error, after which the handle produces nothing. When *producer is
 * in that state this replaces it with a new one made by make(ctx) (what it still queued
 * is purged and lost: callers must only publish what can be lost) and returns true.
 */
typedef rd_kafka_t *ft_kafka_producer_maker(const void *ctx, char *errstr, size_t errlen);
bool ft_kafka_producer_revive(rd_kafka_t **producer, ft_kafka_producer_maker *make, const void *ctx);

/* A maker for ft_kafka_producer_revive: ft_kafka_producer_new with ctx the brokers. */
rd_kafka_t *ft_kafka_producer_make(const void *brokers, char *errstr, size_t errlen);

/* True when a broker answers a metadata request within timeout_ms. */
bool ft_kafka_reachable(rd_kafka_t *rk, int timeout_ms);

/*
 * Creates each of the `count` topics with `partitions` partitions and replication
 * factor 1, unless it exists. Returns false and fills errstr when one could not be made.
 */
__attribute__((warn_unused_result)) bool ft_kafka_create_topics(const char *brokers, const char *const *topics,
                                                                size_t count, int partitions, char *errstr,
                                                                size_t errlen);

#endif
