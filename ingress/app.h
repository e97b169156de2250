/* What every handler may use: the configuration and the connections to the outside. */
#ifndef FT_INGRESS_APP_H
#define FT_INGRESS_APP_H

#include <librdkafka/rdkafka.h>

#include "ft/config.h"
#include "ft/db_pool.h"
#include "http_metrics.h"

struct ft_pipeline;

struct ft_app {
    const struct ft_config *config;
    struct ft_db_pool *db;
    rd_kafka_t *producer; /* readiness probe (/readyz) */
    struct ft_pipeline *pipeline; /* reservation commands, the token registry and the catalog (pipeline.h) */
    struct ft_http_metrics *metrics;
};

/* How long a handler waits for a free PostgreSQL connection before answering 503. */
#define FT_DB_ACQUIRE_MS 2000

#endif
