#include "ft/config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum setting_type {
    SETTING_STRING, /* copied as it is */
    SETTING_OPTIONAL, /* copied as it is; may be empty */
    SETTING_WORD,   /* may be empty; else only letters, digits, '.', '_' and '-' */
    SETTING_INT,    /* decimal integer within [min, max] */
    SETTING_SECRET, /* string that must be present and strong when needed */
    SETTING_LEVEL,  /* one of debug, info, warn, error */
};

struct setting {
    const char *name;
    enum setting_type type;
    size_t offset;
    size_t size; /* capacity for strings */
    long min, max;
    const char *fallback; /* NULL: no default */
    const char *meaning;
};

#define STR(field, name, def, what) \
    { name, SETTING_STRING, offsetof(struct ft_config, field), sizeof(((struct ft_config *)0)->field), 0, 0, def, what }
#define OPT(field, name, what) \
    { name, SETTING_OPTIONAL, offsetof(struct ft_config, field), sizeof(((struct ft_config *)0)->field), 0, 0, "", what }
#define WORD(field, name, what) \
    { name, SETTING_WORD, offsetof(struct ft_config, field), sizeof(((struct ft_config *)0)->field), 0, 0, "", what }
#define INT(field, name, lo, hi, def, what) \
    { name, SETTING_INT, offsetof(struct ft_config, field), sizeof(int), lo, hi, def, what }

static const struct setting settings[] = {
    STR(http_addr, "FT_HTTP_ADDR", "127.0.0.1", "address the HTTP server listens on"),
    INT(http_port, "FT_HTTP_PORT", 1, 65535, "8080", "HTTP port"),
    INT(http_threads, "FT_HTTP_THREADS", 0, 256, "0", "HTTP worker threads; 0 = one per core"),
    INT(http_blocking_threads, "FT_HTTP_BLOCKING_THREADS", 1, 1024, "16",
        "threads for requests that wait on PortOne or hash a password, off the HTTP threads"),
    INT(http_max_connections, "FT_HTTP_MAX_CONNECTIONS", 16, 1000000, "10000", "open HTTP connections at most"),
    INT(http_timeout_seconds, "FT_HTTP_TIMEOUT_SECONDS", 1, 3600, "30", "idle HTTP connection timeout"),
    INT(http_max_body_bytes, "FT_HTTP_MAX_BODY_BYTES", 256, 16777216, "32768", "largest request body; above it 413"),
    INT(http_connection_memory_bytes, "FT_HTTP_CONNECTION_MEMORY_BYTES", 4096, 1048576, "16384",
        "memory of one HTTP connection; a request whose headers need more is answered 431"),
    OPT(trusted_proxies, "FT_TRUSTED_PROXIES",
        "comma-separated IPs/CIDRs whose X-Forwarded-For the ingress believes; empty = nobody"),
    STR(database_url, "FT_DATABASE_URL", "postgresql://fairticket@127.0.0.1:25432/fairticket", "PostgreSQL connection URI"),
    INT(db_pool_size, "FT_DB_POOL_SIZE", 0, 256, "0", "PostgreSQL connections; 0 = one per HTTP thread, plus 8"),
    STR(kafka_brokers, "FT_KAFKA_BROKERS", "127.0.0.1:29092", "Kafka bootstrap servers"),
    STR(topic_commands, "FT_TOPIC_COMMANDS", "ft.reservation-commands", "topic of reservation commands"),
    STR(topic_outcomes, "FT_TOPIC_OUTCOMES", "ft.reservation-outcomes", "topic of decided outcomes and progress"),
    INT(topic_partitions, "FT_TOPIC_PARTITIONS", 1, 1024, "12", "partitions of the topics when they are created"),
    { "FT_JWT_SECRET", SETTING_SECRET, offsetof(struct ft_config, jwt_secret), sizeof(((struct ft_config *)0)->jwt_secret),
      FT_JWT_SECRET_MIN_BYTES, 0, NULL, "HS256 signing secret, at least 32 bytes; required" },
    INT(jwt_ttl_seconds, "FT_JWT_TTL_SECONDS", 60, 86400, "3600", "lifetime of an access token"),
    { "FT_LOG_LEVEL", SETTING_LEVEL, offsetof(struct ft_config, log_level), sizeof(((struct ft_config *)0)->log_level),
      0, 0, "info", "debug, info, warn or error" },
    INT(hold_seconds, "FT_HOLD_SECONDS", 1, 86400, "300", "how long a seat hold lasts before it expires"),
    INT(seat_limit_per_user, "FT_SEAT_LIMIT_PER_USER", 1, 100, "4", "seats one user may hold or buy per schedule"),
    INT(worker_batch_max, "FT_WORKER_BATCH_MAX", 1, 100000, "2000", "commands the worker decides per transaction"),
    INT(worker_batch_ms, "FT_WORKER_BATCH_MS", 1, 10000, "20", "longest the worker waits to fill a batch"),
    STR(worker_group, "FT_WORKER_GROUP", "ft-workers", "Kafka consumer group of the workers"),
    INT(expirer_interval_ms, "FT_EXPIRER_INTERVAL_MS", 50, 60000, "1000", "time between two sweeps for due holds"),
    INT(expirer_batch, "FT_EXPIRER_BATCH", 1, 100000, "1000", "expire commands sent per sweep at most"),
    INT(idempotency_key_ttl_seconds, "FT_IDEMPOTENCY_KEY_TTL_SECONDS", 60, 31536000, "86400",
        "how long a reservation's Idempotency-Key names it; the expirer deletes older keys"),
    INT(expirer_http_port, "FT_EXPIRER_HTTP_PORT", 0, 65535, "8082", "expirer's /healthz and /metrics; 0 = none"),
    INT(worker_http_port, "FT_WORKER_HTTP_PORT", 0, 65535, "8081", "worker's /healthz and /metrics; 0 = none"),
    OPT(portone_base_url, "FT_PORTONE_BASE_URL", "PortOne REST API v1, e.g. https://api.iamport.kr; empty = payments off"),
    OPT(portone_imp_key, "FT_PORTONE_IMP_KEY", "PortOne REST API key (a string: leading zeros stay)"),
    OPT(portone_imp_secret, "FT_PORTONE_IMP_SECRET", "PortOne REST API secret"),
    INT(portone_timeout_ms, "FT_PORTONE_TIMEOUT_MS", 100, 60000, "5000", "longest a call to PortOne may take"),
    WORD(portone_merchant_code, "FT_PORTONE_MERCHANT_CODE",
         "PortOne merchant code (imp...): the page pays with PortOne's browser SDK; empty = it does not"),
    WORD(portone_pg, "FT_PORTONE_PG",
         "pg of the SDK's payment request, e.g. html5_inicis; empty = PortOne's default PG"),
    INT(refund_retry_max_seconds, "FT_REFUND_RETRY_MAX_SECONDS", 1, 86400, "300",
        "longest wait between two attempts of a refund (the wait doubles from 1 s)"),
    INT(payment_check_after_seconds, "FT_PAYMENT_CHECK_AFTER_SECONDS", 0, 86400, "60",
        "how long after a hold ended with its order unpaid the expirer asks PortOne about it"),
    INT(refund_threads, "FT_REFUND_THREADS", 1, 64, "4",
        "refunds the expirer carries out at once, each on a thread and PostgreSQL connection of its own"),
    OPT(web_root, "FT_WEB_ROOT",
        "directory of the buyer's page, served at / and /web/; empty = web/ of the source tree built from"),
};

static bool parse_int(const char *text, long min, long max, long *out)
{
    if (text[0] == '\0' || text[0] == ' ' || text[0] == '+')
        return false;
    errno = 0;
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

/* A secret is weak when short or made of very few distinct bytes ("aaaa…", "abab…"). */
static bool secret_is_strong(const char *secret, size_t min_bytes)
{
    size_t len = strlen(secret);
    if (len < min_bytes)
        return false;
    bool seen[256] = { false };
    size_t distinct = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)secret[i];
        if (!seen[c]) {
            seen[c] = true;
            distinct++;
        }
    }
    return distinct >= 8;
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static bool apply(const struct setting *s, const char *value, struct ft_config *out, unsigned needs,
                  char *err, size_t errlen)
{
    char *field = (char *)out + s->offset;
    switch (s->type) {
    case SETTING_INT: {
        long parsed = 0;
        if (value == NULL || !parse_int(value, s->min, s->max, &parsed)) {
            snprintf(err, errlen, "%s must be a whole number from %ld to %ld", s->name, s->min, s->max);
            return false;
        }
        *(int *)(void *)field = (int)parsed;
        return true;
    }
    case SETTING_LEVEL:
        if (value == NULL || (strcmp(value, "debug") != 0 && strcmp(value, "info") != 0 &&
                              strcmp(value, "warn") != 0 && strcmp(value, "error") != 0)) {
            snprintf(err, errlen, "%s must be one of debug, info, warn, error", s->name);
            return false;
        }
        break;
    case SETTING_SECRET:
        if (!(needs & FT_CONFIG_NEED_JWT)) {
            if (value == NULL)
                value = "";
            break;
        }
        if (value == NULL || value[0] == '\0') {
            snprintf(err, errlen, "%s is required (at least %ld random bytes)", s->name, s->min);
            return false;
        }
        if (!secret_is_strong(value, (size_t)s->min)) {
            snprintf(err, errlen, "%s is too weak: use at least %ld random bytes", s->name, s->min);
            return false;
        }
        break;
    case SETTING_STRING:
        if (value == NULL || value[0] == '\0') {
            snprintf(err, errlen, "%s must not be empty", s->name);
            return false;
        }
        break;
    case SETTING_WORD:
        for (const char *p = value; *p != '\0'; p++)
            if (!word_char(*p)) {
                snprintf(err, errlen, "%s may hold only letters, digits, '.', '_' and '-'", s->name);
                return false;
            }
        break;
    case SETTING_OPTIONAL:
        break;
    }
    if (strlen(value) >= s->size) {
        snprintf(err, errlen, "%s is longer than %zu bytes", s->name, s->size - 1);
        return false;
    }
    memcpy(field, value, strlen(value) + 1);
    return true;
}

bool ft_config_load(struct ft_config *out, ft_env_lookup lookup, unsigned needs, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *s = &settings[i];
        const char *value = lookup(s->name);
        if (value == NULL)
            value = s->fallback;
        if (!apply(s, value, out, needs, err, errlen))
            return false;
    }
    return true;
}

void ft_config_describe(void (*print_line)(const char *line))
{
    char line[256];
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const struct setting *s = &settings[i];
        snprintf(line, sizeof line, "  %-24s %s (default: %s)", s->name, s->meaning,
                 s->fallback ? s->fallback : "none");
        print_line(line);
    }
}

const char *ft_env_process(const char *name)
{
    return getenv(name);
}
