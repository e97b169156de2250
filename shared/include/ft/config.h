/*
 * Configuration from the environment.
 *
 * Every setting is declared once, in the table in config.c (name, type, bounds,
 * default). Values stay strings until the typed parser of their entry reads them, so an
 * API key that begins with 0 is never taken for an octal number. ft_config_load fills a
 * plain struct that callers pass down; nothing reads the environment after start-up.
 */
#ifndef FT_CONFIG_H
#define FT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define FT_CONFIG_STR_MAX 512

struct ft_config {
    char http_addr[64];              /* FT_HTTP_ADDR */
    int http_port;                   /* FT_HTTP_PORT */
    int http_threads;                /* FT_HTTP_THREADS, 0 = one per core */
    int http_blocking_threads;       /* FT_HTTP_BLOCKING_THREADS: for handlers that wait (blocking_pool.h) */
    int http_max_connections;        /* FT_HTTP_MAX_CONNECTIONS */
    int http_timeout_seconds;        /* FT_HTTP_TIMEOUT_SECONDS */
    int http_max_body_bytes;         /* FT_HTTP_MAX_BODY_BYTES */
    int http_connection_memory_bytes; /* FT_HTTP_CONNECTION_MEMORY_BYTES: headers must fit */
    char trusted_proxies[FT_CONFIG_STR_MAX]; /* FT_TRUSTED_PROXIES: proxies whose X-Forwarded-For counts */
    char database_url[FT_CONFIG_STR_MAX]; /* FT_DATABASE_URL */
    int db_pool_size;                /* FT_DB_POOL_SIZE, 0 = one per HTTP thread */
    char kafka_brokers[FT_CONFIG_STR_MAX]; /* FT_KAFKA_BROKERS */
    char topic_commands[128];        /* FT_TOPIC_COMMANDS */
    char topic_outcomes[128];        /* FT_TOPIC_OUTCOMES */
    int topic_partitions;            /* FT_TOPIC_PARTITIONS */
    char jwt_secret[FT_CONFIG_STR_MAX]; /* FT_JWT_SECRET, required, strong */
    int jwt_ttl_seconds;             /* FT_JWT_TTL_SECONDS */
    char log_level[16];              /* FT_LOG_LEVEL */
    int hold_seconds;                /* FT_HOLD_SECONDS: how long a seat hold lasts */
    int seat_limit_per_user;         /* FT_SEAT_LIMIT_PER_USER: seats held + bought per schedule */
    int worker_batch_max;            /* FT_WORKER_BATCH_MAX: commands per PostgreSQL transaction */
    int worker_batch_ms;             /* FT_WORKER_BATCH_MS: longest wait before a batch is written */
    int worker_http_port;            /* FT_WORKER_HTTP_PORT: the worker's /healthz and /metrics */
    char worker_group[128];          /* FT_WORKER_GROUP: the workers' Kafka consumer group */
    int expirer_interval_ms;         /* FT_EXPIRER_INTERVAL_MS: time between two sweeps */
    int expirer_batch;               /* FT_EXPIRER_BATCH: expiries sent per sweep at most */
    int idempotency_key_ttl_seconds; /* FT_IDEMPOTENCY_KEY_TTL_SECONDS: keys older are deleted */
    int expirer_http_port;           /* FT_EXPIRER_HTTP_PORT: the expirer's /healthz and /metrics */
    char portone_base_url[FT_CONFIG_STR_MAX]; /* FT_PORTONE_BASE_URL: empty = payments off */
    char portone_imp_key[256];       /* FT_PORTONE_IMP_KEY */
    char portone_imp_secret[256];    /* FT_PORTONE_IMP_SECRET */
    int portone_timeout_ms;          /* FT_PORTONE_TIMEOUT_MS: bound of one call to PortOne */
    char portone_merchant_code[64];  /* FT_PORTONE_MERCHANT_CODE: the page pays with PortOne's SDK; empty = not */
    char portone_pg[128];            /* FT_PORTONE_PG: the SDK's pg; empty = PortOne's default PG */
    int refund_retry_max_seconds;    /* FT_REFUND_RETRY_MAX_SECONDS: longest wait between refund attempts */
    int refund_threads;              /* FT_REFUND_THREADS: refunds carried out at once */
    int payment_check_after_seconds; /* FT_PAYMENT_CHECK_AFTER_SECONDS: an unpaid order asked about after its hold */
    char web_root[FT_CONFIG_STR_MAX]; /* FT_WEB_ROOT: the buyer's page (web/); empty = the source tree's */
};

/* Which settings a program needs: the JWT secret is required only where tokens are made
 * or checked, so that tools that never touch tokens can run without it. */
enum ft_config_need {
    FT_CONFIG_NEED_JWT = 1 << 0,
};

/* Looks a name up; returns NULL when unset. getenv fits; tests pass their own. */
typedef const char *(*ft_env_lookup)(const char *name);

/* The lookup of the process environment (getenv). */
const char *ft_env_process(const char *name);

/*
 * Fills *out from the defaults and the environment seen through `lookup`. Returns false
 * and writes a sentence naming the setting at fault into err (of errlen bytes) when a
 * value is malformed or out of bounds, or a required one is missing or weak.
 */
__attribute__((warn_unused_result)) bool ft_config_load(struct ft_config *out, ft_env_lookup lookup,
                                                        unsigned needs, char *err, size_t errlen);

/* Minimum length of FT_JWT_SECRET in bytes. */
#define FT_JWT_SECRET_MIN_BYTES 32

/* Prints every setting with its default and meaning, one per line (for --help). */
void ft_config_describe(void (*print_line)(const char *line));

#endif
