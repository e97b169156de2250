/*
 * Writes batches on a thread of its own, so that the worker decides the next batch
 * while PostgreSQL stores the last one. One batch is in flight at a time, which keeps
 * each partition's batches in log order. A batch PostgreSQL does not take is retried
 * until it is taken, the partition is found fenced, or the worker stops; meanwhile the
 * worker runs into the in-flight limit and waits (back-pressure).
 */
#ifndef FT_WORKER_COMMITTER_H
#define FT_WORKER_COMMITTER_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdbool.h>

#include "batch.h"
#include "store.h"

struct ft_committer;

struct ft_commit_result {
    int32_t partition;
    enum ft_worker_store_result status; /* FAILED only when the worker stopped first */
    struct ft_batch batch;              /* given back to the caller, who frees it */
    int64_t micros;                     /* time spent in PostgreSQL */
};

/*
 * Starts the thread with its own connection to db_url. When brokers is not NULL, it
 * makes a producer of its own and publishes the outcomes and progress of each stored
 * batch to topic_outcomes (replacing the producer after a fatal error). Once
 * *worker_stop is set, a batch that fails is not retried. NULL when it cannot start.
 */
struct ft_committer *ft_committer_start(const char *db_url, const char *topic_commands, const char *brokers,
                                        const char *topic_outcomes, volatile sig_atomic_t *worker_stop);

/* True while a batch is in flight. */
bool ft_committer_busy(struct ft_committer *c);

/* Hands a batch over (the struct is moved: *batch is left empty). The committer must be idle. */
void ft_committer_submit(struct ft_committer *c, int32_t partition, int64_t epoch, struct ft_batch *batch,
                         double rate_per_sec);

/* Takes the result of the finished batch, waiting up to wait_ms for it (0: not at all,
 * negative: as long as it takes). False when none was ready in time or none was in flight. */
bool ft_committer_collect(struct ft_committer *c, int wait_ms, struct ft_commit_result *result);

/* Stops retrying, joins the thread, closes the connection. Nothing may be in flight. */
void ft_committer_stop(struct ft_committer *c);

#endif
