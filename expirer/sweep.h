/*
 * One turn of the expirer: find holds whose time is up and put an EXPIRE command for
 * each on its schedule's partition. The expirer never writes seat state; the worker
 * releases a hold only if it is still unpaid at that point of the log.
 */
#ifndef FT_EXPIRER_SWEEP_H
#define FT_EXPIRER_SWEEP_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "ft/command.h"
#include "ft/config.h"

/*
 * Where the previous turns got to, in (expires_at, id) order. In memory only: after a
 * restart the expirer starts again from the first hold still HELD, and an expire
 * command sent twice changes nothing, so no expiry is ever lost. A hold can be stored
 * behind the mark (its worker lagging, or another partition's holds swept first), so a
 * turn that has caught up starts again from the first hold every FT_SWEEP_RESCAN_TURNS
 * intervals at most.
 */
struct ft_sweep_mark {
    int64_t expires_at_ms;
    int64_t reservation_id;
    int64_t rescan_at_ms; /* monotonic clock: the mark goes back to the start after it */
};

#define FT_SWEEP_RESCAN_TURNS 30

/* An idempotent producer whose delivery reports ft_sweep_once counts. NULL with err filled. */
rd_kafka_t *ft_sweep_producer_new(const struct ft_config *config, char *err, size_t errlen);

/* Hands a command to the producer for its schedule's partition; a failed delivery
 * counts in *failures (after a flush). False when it could not even be queued. */
bool ft_sweep_send(rd_kafka_t *producer, const char *topic, int32_t partitions, const struct ft_command *cmd,
                   int *failures);

/* Waits until Kafka acknowledged what the producer holds. When it does not in time, the
 * rest is purged and its delivery reports served (they count into the caller's failures,
 * which must not be written after the caller returns) and false is returned. */
bool ft_sweep_flush(rd_kafka_t *producer);

/*
 * Sends at most config->expirer_batch expire commands for due holds after *mark, waits
 * until Kafka acknowledged them, and only then moves *mark past them. Returns how many
 * were sent, or -1 on a failure (logged; the next turn sends them again).
 */
int ft_sweep_once(const struct ft_config *config, PGconn *db, rd_kafka_t *producer, int32_t partitions,
                  struct ft_sweep_mark *mark);

#endif
