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
        ft_db_log_failure("expirer.key_prune_failed", res);
        PQclear(res);
        return -1;
    }
    int deleted = atoi(PQcmdTuples(res));
    PQclear(res);
    if (deleted > 0)
        ft_log_info("expirer.keys_pruned", "count=%d ttl_s=%d", deleted, config->idempotency_key_ttl_seconds);
    return deleted;
}

/* (ANALYZE runs on the table so far, or -1 on a failure, logged); *grown and *allowed say
 * whether it changed more than its statistics counted, and whether we may analyze it. */
static int64_t key_stats(PGconn *db, bool *grown, bool *allowed)
{
    char changes[16];
    snprintf(changes, sizeof changes, "%d", FT_KEY_STATS_CHANGES);
    const char *params[] = { changes };
    /* reltuples is -1 before the first ANALYZE: then any FT_KEY_STATS_CHANGES changes do.
     * The table's owner or the database's may analyze it; PostgreSQL skips it for anyone
     * else with only a warning. */
    PGresult *res = ft_db_query(db,
                                "SELECT s.analyze_count, s.n_mod_since_analyze > greatest($1::int, c.reltuples),"
                                "       pg_has_role(c.relowner, 'USAGE') OR pg_has_role(d.datdba, 'USAGE')"
                                " FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                                " JOIN pg_database d ON d.datname = current_database()"
                                " WHERE s.relid = 'idempotency_keys'::regclass",
                                1, params);
    if (!ft_db_ok(res) || PQntuples(res) != 1) {
        ft_db_log_failure("expirer.key_stats_failed", res);
        PQclear(res);
        return -1;
    }
    int64_t analyses = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    *grown = PQgetvalue(res, 0, 1)[0] == 't';
    *allowed = PQgetvalue(res, 0, 2)[0] == 't';
    PQclear(res);
    return analyses;
}

int ft_refresh_key_stats_once(PGconn *db)
{
    static bool told_not_allowed;
    bool grown = false, allowed = false, unused;
    int64_t before = key_stats(db, &grown, &allowed);
    if (before < 0)
        return -1;
    if (!grown)
        return 0;
    if (!allowed) {
        if (!told_not_allowed)
            ft_log_warn("expirer.key_stats_not_allowed",
                        "table=idempotency_keys reason=\"the expirer's user owns neither the table nor the database\"");
        told_not_allowed = true;
        return 0;
    }
    /* SKIP_LOCKED: a vacuum holding the table must not stop the sweep for expiries. */
    PGresult *res = PQexec(db, "ANALYZE (SKIP_LOCKED) idempotency_keys");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        ft_db_log_failure("expirer.key_stats_failed", res);
    PQclear(res);
    if (!ok)
        return -1;
    if (key_stats(db, &grown, &unused) <= before)
        return 0; /* skipped (locked); the next look tries again */
    ft_log_info("expirer.key_stats_refreshed", "table=idempotency_keys");
    return 1;
}
