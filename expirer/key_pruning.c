#include "key_pruning.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"
#include "ft/log.h"

int ft_prune_keys_once(const struct ft_config *config, PGconn *db)
{
    char ttl[16], limit[16];
    snprintf(ttl, sizeof ttl, "%d", config->idempotency_key_ttl_seconds);
    snprintf(limit, sizeof limit, "%d", FT_KEY_PRUNE_BATCH);
    const char *params[] = { ttl, limit };
    /* The old keys are found through the BRIN index on created_at (migration 0011). The age
     * is checked again on the row deleted: a key taken over by a retry meanwhile
     * (ft_store_idempotency_rebind renews created_at) names a new request, and stays. */
    PGresult *res = ft_db_query(db,
                                "DELETE FROM idempotency_keys"
                                " WHERE created_at < now() - make_interval(secs => $1::int)"
                                " AND (user_id, key) IN (SELECT user_id, key FROM idempotency_keys"
                                "  WHERE created_at < now() - make_interval(secs => $1::int) LIMIT $2::int)",
                                2, params);
    if (!ft_db_ok(res)) {
        const char *why = PQresultErrorMessage(res);
        ft_log_warn("expirer.key_prune_failed", "error=\"%.*s\"", (int)strcspn(why, "\n"), why);
        PQclear(res);
        return -1;
    }
    int deleted = atoi(PQcmdTuples(res));
    PQclear(res);
    if (deleted > 0)
        ft_log_info("expirer.keys_pruned", "count=%d ttl_s=%d", deleted, config->idempotency_key_ttl_seconds);
    return deleted;
}

int ft_refresh_key_stats_once(PGconn *db)
{
    char changes[16];
    snprintf(changes, sizeof changes, "%d", FT_KEY_STATS_CHANGES);
    const char *params[] = { changes };
    /* reltuples is -1 before the first ANALYZE: then any FT_KEY_STATS_CHANGES changes do. */
    PGresult *res = ft_db_query(db,
                                "SELECT s.n_mod_since_analyze > greatest($1::int, c.reltuples)"
                                " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                                " WHERE s.relid = 'idempotency_keys'::regclass",
                                1, params);
    bool grown = ft_db_ok(res) && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    if (!ft_db_ok(res)) {
        const char *why = PQresultErrorMessage(res);
        ft_log_warn("expirer.key_stats_failed", "error=\"%.*s\"", (int)strcspn(why, "\n"), why);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    if (!grown)
        return 0;
    res = PQexec(db, "ANALYZE idempotency_keys");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        const char *why = PQresultErrorMessage(res);
        ft_log_warn("expirer.key_stats_failed", "error=\"%.*s\"", (int)strcspn(why, "\n"), why);
    }
    PQclear(res);
    if (ok)
        ft_log_info("expirer.key_stats_refreshed", "table=idempotency_keys");
    return ok ? 1 : -1;
}
