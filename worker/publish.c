#include "publish.h"

#include <stdint.h>
#include <string.h>

#include "ft/log.h"

/* Queues one message; false when librdkafka's queue stays full after one short wait. */
static bool produce(rd_kafka_t *producer, const char *topic, int32_t partition, const char *key, const char *value,
                    size_t len, bool may_wait)
{
    rd_kafka_resp_err_t err =
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && may_wait) {
        rd_kafka_poll(producer, 100); /* make room once, then give up: the ingress can read PostgreSQL */
        err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)(uintptr_t)value, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        return false;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        ft_log_warn("worker.publish_failed", "partition=%d error=\"%s\"", partition, rd_kafka_err2str(err));
    return true;
}

void ft_publish_batch(rd_kafka_t *producer, const char *topic, int32_t partition, const struct ft_batch *batch,
                      double rate_per_sec)
{
    char buf[1024];
    /* Once the queue stays full (the outcomes topic unwritable for long), the rest of the
     * batch is dropped at once: a wait per message would hold up every partition's commit. */
    size_t dropped = 0;
    for (size_t i = 0; i < batch->outcome_count; i++) {
        size_t len = ft_outcome_encode(&batch->outcomes[i], buf, sizeof buf);
        if (len > 0 && !produce(producer, topic, partition, batch->outcomes[i].token, buf, len, dropped == 0))
            dropped++;
    }
    struct ft_progress progress = { .partition = partition, .next_offset = batch->next_offset,
                                    .rate_per_sec = rate_per_sec };
    size_t len = ft_progress_encode(&progress, buf, sizeof buf);
    if (len > 0 && !produce(producer, topic, partition, "progress", buf, len, dropped == 0))
        dropped++;
    if (dropped > 0)
        ft_log_warn("worker.publish_dropped", "partition=%d messages=%zu error=\"%s\"", partition, dropped,
                    rd_kafka_err2str(RD_KAFKA_RESP_ERR__QUEUE_FULL));
    rd_kafka_poll(producer, 0); /* serve delivery reports */
}
