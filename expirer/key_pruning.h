/*
 * Forgets old Idempotency-Keys. The browser binds a key with every reservation
 * (idempotency_keys, one row each), so without this the table grows by every request
 * ever made. A key names its request for FT_IDEMPOTENCY_KEY_TTL_SECONDS (a day by
 * default, as payment APIs keep theirs); a retry after that is a new request.
 */
#ifndef FT_EXPIRER_KEY_PRUNING_H
#define FT_EXPIRER_KEY_PRUNING_H

#include <libpq-fe.h>

#include "ft/config.h"

/* Keys deleted by one statement at most, so that a backlog never holds a long transaction. */
#define FT_KEY_PRUNE_BATCH 10000

/* Deletes at most FT_KEY_PRUNE_BATCH keys older than the TTL. Returns how many, or -1 on
 * a failure (logged). */
int ft_prune_keys_once(const struct ft_config *config, PGconn *db);

/*
 * Keeps the planner's picture of idempotency_keys current while it grows. The ingress
 * binds keys with one statement planned once per connection (a generic plan, db_pool.c);
 * planned while the table was small, it joins by reading the whole table, and keeps doing
 * so as an on-sale fills it, until an ANALYZE makes PostgreSQL plan it again. Autovacuum's
 * comes within a minute or more; the first on-sale round of `make bench FULL=1` decided
 * half as many keyed requests per second as the later ones (5,012 / 5,236 / 4,957 against
 * 8,492-10,966) in three runs. So when more rows changed since the last ANALYZE than it
 * counted (and at least FT_KEY_STATS_CHANGES), the table is analyzed here, skipping it
 * while a vacuum holds it. Returns 1 when it was analyzed; 0 when that was not needed, was
 * skipped, or is not allowed (the expirer's user owns neither the table nor the database:
 * logged once); -1 on a failure (logged).
 */
#define FT_KEY_STATS_CHANGES 5000
int ft_refresh_key_stats_once(PGconn *db);

#endif
