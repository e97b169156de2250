#include "sweep.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/clock.h"
#include "ft/command.h"
#include "ft/db_pool.h"
#include "ft/kafka_client.h"
#include "ft/log.h"

/* Every delivery report that came back failed. A counter that lives as long as the
 * process, not a turn's: a report can come after its turn gave up waiting. */
static atomic_uint_fast64_t failed_deliveries;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR)
        atomic_fetch_add(&failed_deliveries, 1);
}

rd_kafka_t *ft_sweep_producer_new(const struct ft_config *config, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = ft_kafka_conf_new(config->kafka_brokers, err, errlen);
    if (conf == NULL)
        return NULL;
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    if (producer == NULL)
        rd_kafka_conf_destroy(conf);
    return producer;
}

bool ft_sweep_send(rd_kafka_t *producer, const char *topic, int32_t partitions, const struct ft_command *cmd)
{
    char value[1024], key[24];
    size_t len = ft_command_encode(cmd, value, sizeof value);
    snprintf(key, sizeof key, "%" PRId64, cmd->schedule_id);
    rd_kafka_resp_err_t err = len == 0 ? RD_KAFKA_RESP_ERR__BAD_MSG
                                       : rd_kafka_producev(
                                             producer, RD_KAFKA_V_TOPIC(topic),
                                             RD_KAFKA_V_PARTITION(ft_kafka_schedule_partition(cmd->schedule_id, partitions)),
                                             RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, len),
                                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                             RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_warn("expirer.produce_failed", "reservation=%" PRId64 " error=\"%s\"", cmd->reservation_id,
                    rd_kafka_err2str(err));
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool ft_sweep_flush(rd_kafka_t *producer)
{
    uint_fast64_t failed_before = atomic_load(&failed_deliveries);
    if (rd_kafka_flush(producer, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return atomic_load(&failed_deliveries) == failed_before;
    /* What is left is sent again by a later turn, not by this producer's retries. */
    rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    (void)rd_kafka_flush(producer, 10000);
    return false;
}

int ft_sweep_once(const struct ft_config *config, PGconn *db, rd_kafka_t *producer, int32_t partitions,
                  struct ft_sweep_mark *mark)
{
    char at[24], id[24], limit[16];
    snprintf(at, sizeof at, "%" PRId64, mark->expires_at_ms);
    snprintf(id, sizeof id, "%" PRId64, mark->reservation_id);
    snprintf(limit, sizeof limit, "%d", config->expirer_batch);
    const char *params[] = { at, id, limit };
    /* Bounded: at most a batch per turn, oldest first (index reservations_held_by_expiry). */
    PGresult *res = ft_db_query(db,
                                "SELECT id, schedule_id, (extract(epoch FROM expires_at) * 1000)::bigint AS due"
                                " FROM reservations WHERE status = 'HELD' AND expires_at <= now()"
                                " AND (expires_at, id) > (to_timestamp($1::bigint / 1000.0), $2::bigint)"
                                " ORDER BY expires_at, id LIMIT $3::int",
                                3, params);
    if (!ft_db_ok(res)) {
        ft_db_log_failure("expirer.query_failed", res);
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res), failures = 0, sent = 0;
    struct ft_sweep_mark next = *mark;
    for (int i = 0; i < rows; i++) {
        int64_t reservation = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        int64_t schedule = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        int64_t due = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        /* The command's time is the hold's end, not this process's clock: the worker ends
         * every unpaid hold of the schedule due by a command's time, and a clock ahead of
         * the ingresses' (which stamped the holds) would end later holds before their time. */
        struct ft_command cmd = { .type = FT_CMD_EXPIRE, .ts_ms = due, .schedule_id = schedule,
                                  .reservation_id = reservation };
        if (!ft_sweep_send(producer, config->topic_commands, partitions, &cmd))
            failures++;
        sent++;
        next.expires_at_ms = due;
        next.reservation_id = reservation;
    }
    PQclear(res);
    if (sent > 0 && !ft_sweep_flush(producer))
        failures++;
    if (failures > 0) {
        ft_log_warn("expirer.sweep_failed", "due=%d failed=%d", sent, failures);
        return -1;
    }
    *mark = next;
    int64_t now_mono = ft_clock_monotonic_ms();
    if (sent < config->expirer_batch && mark->rescanning) {
        /* A pass from the start caught up: the next one waits its turns from now, so that
         * a backlog whose worker is away is sent again once in a while, not over and over. */
        mark->rescanning = false;
        mark->rescan_at_ms = now_mono + (int64_t)FT_SWEEP_RESCAN_TURNS * config->expirer_interval_ms;
    } else if (sent < config->expirer_batch && now_mono >= mark->rescan_at_ms) {
        /* Caught up: the next turn starts from the first hold still HELD. Those sent but not
         * ended yet get their EXPIRE again, which changes nothing. */
        *mark = (struct ft_sweep_mark){ .rescanning = true };
    }
    if (sent > 0)
        ft_log_info("expirer.sent", "expire_commands=%d", sent);
    return sent;
}
