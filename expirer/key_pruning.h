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

#endif
