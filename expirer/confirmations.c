#include "confirmations.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/clock.h"
#include "ft/command.h"
#include "ft/db_pool.h"
#include "ft/log.h"
#include "sweep.h"

#define RESEND_PER_TURN 100

int ft_resend_confirmations_once(const struct ft_config *config, PGconn *db, rd_kafka_t *producer, int32_t partitions)
{
    char after[16], limit[16];
    snprintf(after, sizeof after, "%d", FT_CONFIRM_RESEND_AFTER_S);
    snprintf(limit, sizeof limit, "%d", RESEND_PER_TURN);
    const char *params[] = { after, limit };
    PGresult *res = ft_db_query(db,
                                "SELECT p.id, r.schedule_id, r.user_id, r.id, p.imp_uid, p.merchant_uid, p.amount"
                                " FROM payments p JOIN reservations r ON r.id = p.reservation_id"
                                " WHERE p.status = 'CONFIRMING' AND p.updated_at < now() - make_interval(secs => $1::int)"
                                " ORDER BY p.updated_at LIMIT $2::int",
                                2, params);
    if (!ft_db_ok(res)) {
        ft_db_log_failure("expirer.confirmations_query_failed", res);
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res), failures = 0;
    int64_t now = ft_clock_wall_ms();
    for (int i = 0; i < rows; i++) {
        struct ft_command cmd = { .type = FT_CMD_CONFIRM_PAYMENT, .ts_ms = now,
                                  .schedule_id = strtoll(PQgetvalue(res, i, 1), NULL, 10),
                                  .user_id = strtoll(PQgetvalue(res, i, 2), NULL, 10),
                                  .reservation_id = strtoll(PQgetvalue(res, i, 3), NULL, 10),
                                  .payment.amount = strtoll(PQgetvalue(res, i, 6), NULL, 10) };
        snprintf(cmd.payment.imp_uid, sizeof cmd.payment.imp_uid, "%s", PQgetvalue(res, i, 4));
        snprintf(cmd.payment.merchant_uid, sizeof cmd.payment.merchant_uid, "%s", PQgetvalue(res, i, 5));
        if (!ft_sweep_send(producer, config->topic_commands, partitions, &cmd))
            failures++;
    }
    if (rows > 0 && !ft_sweep_flush(producer))
        failures++;
    /* Sent: wait another period before the next resend of each. */
    for (int i = 0; failures == 0 && i < rows; i++) {
        const char *id[] = { PQgetvalue(res, i, 0) };
        PGresult *touched = ft_db_query(db, "UPDATE payments SET updated_at = now() WHERE id = $1 AND status = 'CONFIRMING'",
                                        1, id);
        failures += !ft_db_ok(touched);
        PQclear(touched);
    }
    PQclear(res);
    if (failures > 0) {
        ft_log_warn("expirer.confirmations_failed", "stale=%d failed=%d", rows, failures);
        return -1;
    }
    if (rows > 0)
        ft_log_warn("expirer.confirmations_resent", "count=%d", rows);
    return rows;
}
