#include "ft/kafka_client.h"

#include <stdio.h>
#include <string.h>

#include "ft/log.h"

static bool conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr, size_t errlen)
{
    return rd_kafka_conf_set(conf, name, value, errstr, errlen) == RD_KAFKA_CONF_OK;
}

/* librdkafka's own log lines, as our log lines (syslog levels: 3 error, 4 warning). */
static void on_kafka_log(const rd_kafka_t *rk, int level, const char *facility, const char *message)
{
    enum ft_log_level ours = level <= 3 ? FT_LOG_ERROR : level == 4 ? FT_LOG_WARN : level <= 6 ? FT_LOG_INFO : FT_LOG_DEBUG;
    ft_log(ours, "kafka.client", "client=%s facility=%s message=\"%s\"", rd_kafka_name(rk), facility, message);
}

rd_kafka_conf_t *ft_kafka_conf_new(const char *brokers, char *errstr, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf_set(conf, "bootstrap.servers", brokers, errstr, errlen) ||
        !conf_set(conf, "client.id", "fairticket", errstr, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, on_kafka_log);
    return conf;
}

static rd_kafka_t *client_new(rd_kafka_type_t type, const char *brokers, bool idempotent, char *errstr,
                              size_t errlen)
{
    rd_kafka_conf_t *conf = ft_kafka_conf_new(brokers, errstr, errlen);
    if (conf == NULL)
        return NULL;
    if (idempotent && !conf_set(conf, "enable.idempotence", "true", errstr, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, errlen);
    if (rk == NULL)
        rd_kafka_conf_destroy(conf); /* on failure the conf is still ours */
    return rk;                       /* on success it belongs to the handle */
}

rd_kafka_t *ft_kafka_consumer_new(
    const char *brokers, const struct ft_kafka_setting *settings, size_t count,
    void (*rebalance)(rd_kafka_t *, rd_kafka_resp_err_t, rd_kafka_topic_partition_list_t *, void *), void *opaque,
    char *errstr, size_t errlen)
{
    rd_kafka_conf_t *conf = ft_kafka_conf_new(brokers, errstr, errlen);
    if (conf == NULL)
        return NULL;
    /*
     * librdkafka stops prefetching a partition at queued.min.messages (default 100,000)
     * and looks at it again only once a second: a consumer reading faster than 100,000
     * a second sat idle for the rest of every second (the worker's replay did, half the
     * time). With this, the byte bound (queued.max.messages.kbytes, 64 MB for the whole
     * consumer) is the one that binds: about 400,000 commands, more than a second of work.
     */
    if (!conf_set(conf, "queued.min.messages", "1000000", errstr, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    for (size_t i = 0; i < count; i++)
        if (!conf_set(conf, settings[i].name, settings[i].value, errstr, errlen)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    if (rebalance != NULL)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errlen);
    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

rd_kafka_t *ft_kafka_producer_new(const char *brokers, char *errstr, size_t errlen)
{
    return client_new(RD_KAFKA_PRODUCER, brokers, true, errstr, errlen);
}

rd_kafka_t *ft_kafka_producer_make(const void *brokers, char *errstr, size_t errlen)
{
    return ft_kafka_producer_new(brokers, errstr, errlen);
}

bool ft_kafka_producer_revive(rd_kafka_t **producer, ft_kafka_producer_maker *make, const void *ctx)
{
    char reason[256];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(*producer, reason, sizeof reason);
    if (fatal == RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    char err[512];
    rd_kafka_t *fresh = make(ctx, err, sizeof err);
    if (fresh == NULL) {
        ft_log_error("kafka.producer_revive_failed", "error=\"%s\"", err);
        return false; /* tried again at the next check */
    }
    ft_log_warn("kafka.producer_revived", "fatal=\"%s\" reason=\"%s\"", rd_kafka_err2name(fatal), reason);
    rd_kafka_purge(*producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(*producer);
    *producer = fresh;
    return true;
}

bool ft_kafka_reachable(rd_kafka_t *rk, int timeout_ms)
{
    const struct rd_kafka_metadata *metadata = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &metadata, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    bool has_broker = metadata->broker_cnt > 0;
    rd_kafka_metadata_destroy(metadata);
    return has_broker;
}

bool ft_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms, int32_t *count)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(rk, topic, NULL);
    if (handle == NULL)
        return false;
    const struct rd_kafka_metadata *metadata = NULL;
    bool found = false;
    if (rd_kafka_metadata(rk, 0, handle, &metadata, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        found = metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                metadata->topics[0].partition_cnt > 0;
        if (found)
            *count = metadata->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
    return found;
}

int32_t ft_kafka_schedule_partition(int64_t schedule_id, int32_t partitions)
{
    return (int32_t)(schedule_id % partitions);
}

/* Reads the outcome of CreateTopics; "already exists" counts as success. */
static bool check_results(rd_kafka_event_t *event, char *errstr, size_t errlen)
{
    const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
    if (result == NULL) {
        snprintf(errstr, errlen, "create topics: %s", rd_kafka_event_error_string(event));
        return false;
    }
    size_t count = 0;
    const rd_kafka_topic_result_t **topics = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
        const char *name = rd_kafka_topic_result_name(topics[i]);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            ft_log_info("kafka.topic_exists", "topic=%s", name);
        } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errstr, errlen, "topic %s: %s", name, rd_kafka_topic_result_error_string(topics[i]));
            return false;
        } else {
            ft_log_info("kafka.topic_created", "topic=%s", name);
        }
    }
    return true;
}

bool ft_kafka_create_topics(const char *brokers, const char *const *topics, size_t count, int partitions,
                            char *errstr, size_t errlen)
{
    rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, brokers, false, errstr, errlen);
    if (rk == NULL)
        return false;
    rd_kafka_NewTopic_t *new_topics[16];
    if (count > sizeof new_topics / sizeof new_topics[0]) {
        snprintf(errstr, errlen, "too many topics");
        rd_kafka_destroy(rk);
        return false;
    }
    bool ok = true;
    size_t made = 0;
    for (; made < count && ok; made++) {
        new_topics[made] = rd_kafka_NewTopic_new(topics[made], partitions, 1, errstr, errlen);
        ok = new_topics[made] != NULL;
    }
    if (ok) {
        rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_operation_timeout(options, 30000, errstr, errlen);
        rd_kafka_CreateTopics(rk, new_topics, count, options, queue);
        rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 60000);
        if (event == NULL) {
            snprintf(errstr, errlen, "create topics: no answer from %s within 60 s", brokers);
            ok = false;
        } else {
            ok = check_results(event, errstr, errlen);
            rd_kafka_event_destroy(event);
        }
        rd_kafka_AdminOptions_destroy(options);
        rd_kafka_queue_destroy(queue);
    }
    for (size_t i = 0; i < made; i++)
        if (new_topics[i] != NULL)
            rd_kafka_NewTopic_destroy(new_topics[i]);
    rd_kafka_destroy(rk);
    return ok;
}
