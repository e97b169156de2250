/*
 * One turn of the expirer: find holds whose time is up and put an EXPIRE command for
 * each on its schedule's partition. The expirer never writes seat state; the worker
 * releases a hold only if it is still unpaid at that point of the log.
 */
#ifndef FT_EXPIRER_SWEEP_H
#define FT_EXPIRER_SWEEP_H

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "ft/command.h"
#include "ft/config.h"

/*
 * Where the previous turns got to, in (expires_at, id) order. In memory only: after a
 * restart the expirer starts again from the first hold still HELD, and an expire
 * command sent twice changes nothing, so no expiry is ever lost. A hold can be stored
 * behind the mark (its worker lagging, or another partition's holds swept first), so a
 * turn that has caught up starts again from the first hold, FT_SWEEP_RESCAN_TURNS
 * intervals after the previous pass from the start caught up. While a worker is away,
 * each such pass sends its due holds again.
 */
struct ft_sweep_mark {
    int64_t expires_at_ms;
    int64_t reservation_id;
    int64_t rescan_at_ms; /* monotonic clock: the mark may go back to the start after it */
    bool rescanning;      /* this pass started from the start */
};

#define FT_SWEEP_RESCAN_TURNS 30

/* An idempotent producer whose failed deliveries ft_sweep_flush counts. NULL with err filled. */
rd_kafka_t *ft_sweep_producer_new(const struct ft_config *config, char *err, size_t errlen);

/* Hands a command to the producer for its schedule's partition. False when it could not
 * even be queued. */
bool ft_sweep_send(rd_kafka_t *producer, const char *topic, int32_t partitions, const struct ft_command *cmd);

/* Waits until Kafka acknowledged what the producer holds: true when it did, and no
 * delivery failed meanwhile. When it does not in time, the rest is purged (a later turn
 * sends it again) and false is returned. */
bool ft_sweep_flush(rd_kafka_t *producer);

/*
 * Sends at most config->expirer_batch expire commands for due holds after *mark, waits
 * until Kafka acknowledged them, and only then moves *mark past them. Returns how many
 * were sent, or -1 on a failure (logged; the next turn sends them again).
 */
int ft_sweep_once(const struct ft_config *config, PGconn *db, rd_kafka_t *producer, int32_t partitions,
                  struct ft_sweep_mark *mark);

#endif
