/* What every handler may use: the configuration and the connections to the outside. */
#ifndef FT_INGRESS_APP_H
#define FT_INGRESS_APP_H

#include <librdkafka/rdkafka.h>

#include "ft/config.h"
#include "ft/db_pool.h"
#include "http_metrics.h"

struct ft_access_cache;
struct ft_pipeline;
struct ft_portone;
struct ft_seat_map_cache;

struct ft_app {
    const struct ft_config *config;
    struct ft_db_pool *db;
    rd_kafka_t *producer; /* readiness probe (/readyz) */
    struct ft_pipeline *pipeline; /* reservation commands, the token registry and the catalog (pipeline.h) */
    struct ft_http_metrics *metrics;
    struct ft_access_cache *access_tokens; /* access tokens verified already (access_cache.h) */
    struct ft_seat_map_cache *seat_maps; /* live seat maps, each read at most every SEAT_MAP_TTL_MS */
    struct ft_portone *portone;          /* PortOne's API; NULL when payments are not configured */
    struct ft_key_binder *key_binder;    /* Idempotency-Keys, bound in batches (key_binder.h) */
};

/* How stale a seat map may be: holds and sales show well within a second. */
#define FT_SEAT_MAP_TTL_MS 250

/* Access tokens remembered as verified, 56 bytes each (14.7 MB): for an on-sale of a
 * hundred thousand buyers at once, 1.5 per set of four places on average, so that few
 * sets overflow; a buyer beyond that is verified again. */
#define FT_ACCESS_CACHE_SLOTS 262144

/* How long a handler waits for a free PostgreSQL connection before answering 503. */
#define FT_DB_ACQUIRE_MS 2000

#endif
