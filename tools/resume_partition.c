/*
 * ft-admin resume-partition: where a partition stopped at a gap in the log goes on from.
 *
 * A worker stops a partition whose stored offset the log cannot give (worker.log_gap):
 * below the log's start, the commands in between were deleted before anyone decided
 * them; beyond its end, the topic was recreated or the broker lost its tail. Which offset
 * is right depends on what happened, so the operator names it (docs/operations.md, "A
 * partition at a gap in the log"). This command only refuses what cannot be right: an
 * offset the log does not hold, or a partition that has no gap.
 */
#include "resume_partition.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"
#include "ft/kafka_client.h"

/* A decimal number from 0 to INT64_MAX, digits only. */
static bool parse_count(const char *text, int64_t *out)
{
    if (text == NULL || text[0] < '0' || text[0] > '9')
        return false;
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = value;
    return true;
}

/* The log's start and end offsets of the commands topic's partition. */
static bool read_watermarks(const struct ft_config *config, int32_t partition, int64_t *low, int64_t *high)
{
    char err[512] = "";
    const struct ft_kafka_setting settings[] = { { "group.id", "ft-admin" } };
    rd_kafka_t *rk = ft_kafka_consumer_new(config->kafka_brokers, settings, 1, NULL, NULL, err, sizeof err);
    int32_t partitions = 0;
    if (rk != NULL && !ft_kafka_partition_count(rk, config->topic_commands, 10000, &partitions))
        snprintf(err, sizeof err, "no broker told the topic's partitions");
    else if (rk != NULL && partition >= partitions)
        snprintf(err, sizeof err, "the topic has %d partitions", partitions);
    else if (rk != NULL) {
        rd_kafka_resp_err_t kerr =
            rd_kafka_query_watermark_offsets(rk, config->topic_commands, partition, low, high, 10000);
        if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            snprintf(err, sizeof err, "%s", rd_kafka_err2str(kerr));
    }
    if (rk != NULL)
        rd_kafka_destroy(rk);
    if (err[0] != '\0')
        fprintf(stderr, "ft-admin: could not read the log of %s [%d]: %s\n", config->topic_commands, partition, err);
    return err[0] == '\0';
}

/* Moves the stored offset from `from` to `to`, with a new epoch: a worker still holding
 * the partition can commit nothing more to it. Its reservation ids go on past every
 * offset the log had used (migration 0013): the new log may use those offsets again.
 * False if it changed meanwhile. */
static bool move_offset(PGconn *db, const char *topic, const char *partition, int64_t from, int64_t to)
{
    char from_text[24], to_text[24];
    snprintf(from_text, sizeof from_text, "%" PRId64, from);
    snprintf(to_text, sizeof to_text, "%" PRId64, to);
    const char *params[] = { topic, partition, from_text, to_text };
    PGresult *res = ft_db_query(db,
                                "UPDATE partition_offsets SET next_offset = $4, epoch = epoch + 1, id_base = id_base + next_offset "
                                "WHERE topic = $1 AND partition = $2 AND next_offset = $3",
                                4, params);
    bool ok = ft_db_ok(res) && strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    return ok;
}

/* The stored offset of the partition; a partition no worker claimed yet stands at 0. */
static bool read_stored(PGconn *db, const char *topic, const char *partition, int64_t *stored)
{
    const char *params[] = { topic, partition };
    PGresult *res = ft_db_query(db, "SELECT next_offset FROM partition_offsets WHERE topic = $1 AND partition = $2",
                                2, params);
    bool ok = ft_db_ok(res);
    *stored = ok && PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    if (ok && *stored == 0) {
        res = ft_db_query(db, "INSERT INTO partition_offsets (topic, partition) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                          2, params);
        ok = ft_db_ok(res);
        PQclear(res);
    }
    return ok;
}

int ft_admin_resume_partition(const struct ft_config *config, const char *partition_text, const char *at_text)
{
    int64_t partition = 0, at = 0, low = 0, high = 0, stored = 0;
    if (!parse_count(partition_text, &partition) || partition > INT32_MAX || !parse_count(at_text, &at)) {
        fputs("usage: ft-admin resume-partition --partition N --at OFFSET\n", stderr);
        return EXIT_FAILURE;
    }
    if (!read_watermarks(config, (int32_t)partition, &low, &high))
        return EXIT_FAILURE;
    PGconn *db = PQconnectdb(config->database_url);
    bool ok = PQstatus(db) == CONNECTION_OK && read_stored(db, config->topic_commands, partition_text, &stored);
    int status = EXIT_FAILURE;
    if (!ok) {
        fprintf(stderr, "ft-admin: could not read the partition's offset from %s\n", config->database_url);
    } else if (stored >= low && stored <= high) {
        fprintf(stderr,
                "ft-admin: partition %s goes on from %" PRId64 ", which the log holds (%" PRId64 "..%" PRId64
                "): there is no gap to pass over\n",
                partition_text, stored, low, high);
    } else if (at < low || at > high) {
        fprintf(stderr, "ft-admin: the log of partition %s holds offsets %" PRId64 "..%" PRId64 ", not %" PRId64 "\n",
                partition_text, low, high, at);
    } else if (!move_offset(db, config->topic_commands, partition_text, stored, at)) {
        fprintf(stderr, "ft-admin: the offset of partition %s changed meanwhile; nothing written\n", partition_text);
    } else {
        printf("partition %s: went on from %" PRId64 ", which the log (%" PRId64 "..%" PRId64
               ") does not hold; now resumes at %" PRId64 ".\n"
               "Restart the workers, so that one claims it again, and the ingresses, so that queue positions "
               "count from it.\n",
               partition_text, stored, low, high, at);
        status = EXIT_SUCCESS;
    }
    PQfinish(db);
    return status;
}
