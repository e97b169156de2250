/*
 * Writes batches on a thread of its own, so that the worker decides the next batches
 * while PostgreSQL stores the last ones. A commit holds the batches of any number of
 * partitions (at most one each) in one transaction, so that they share one WAL flush;
 * one commit is in flight at a time, which keeps each partition's batches in log order.
 * A commit PostgreSQL does not take is retried until it is taken or the worker stops;
 * meanwhile the worker runs into the in-flight limit and waits (back-pressure). A commit
 * whose data PostgreSQL refuses is not retried as it is: its partitions are stored one by
 * one, and only the one refused is given back REFUSED.
 */
#ifndef FT_WORKER_COMMITTER_H
#define FT_WORKER_COMMITTER_H

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "batch.h"
#include "store.h"

struct ft_committer;

/* Partitions one commit can hold. */
#define FT_COMMIT_PARTS_MAX 1024

struct ft_commit_result {
    int32_t partition;
    enum ft_worker_store_result status; /* FAILED only when the worker stopped first; REFUSED:
                                         * PostgreSQL refuses this batch's data */
    struct ft_batch batch;              /* given back to the caller, who frees it */
    int64_t micros;                     /* time the whole commit spent in PostgreSQL */
};

/*
 * Starts the thread with its own connection to db_url. When brokers is not NULL, it
 * makes a producer of its own and publishes the outcomes and progress of each stored
 * batch to topic_outcomes (replacing the producer after a fatal error). Once
 * *worker_stop is set, a batch that fails is not retried. Each retry of a commit adds one
 * to *retries. NULL when it cannot start.
 */
struct ft_committer *ft_committer_start(const char *db_url, const char *topic_commands, const char *brokers,
                                        const char *topic_outcomes, volatile sig_atomic_t *worker_stop,
                                        atomic_uint_fast64_t *retries);

/* True while a commit is in flight. */
bool ft_committer_busy(struct ft_committer *c);

/* Adds a partition's batch to the next commit (the struct is moved: *batch is left
 * empty). The committer must be idle, the partition not added yet, and fewer than
 * FT_COMMIT_PARTS_MAX added. */
void ft_committer_add(struct ft_committer *c, int32_t partition, int64_t epoch, struct ft_batch *batch,
                      double rate_per_sec);

/* Starts writing the batches added, in one transaction. */
void ft_committer_submit(struct ft_committer *c);

/* Takes the results of the finished commit, waiting up to wait_ms for it (0: not at all,
 * negative: as long as it takes): calls each(ctx, result) for every batch it held, in the
 * order they were added; each result's batch is then the callee's to free. False when
 * none was ready in time or none was in flight. */
bool ft_committer_collect(struct ft_committer *c, int wait_ms, void (*each)(void *ctx, struct ft_commit_result *result),
                          void *ctx);

/* Stops retrying, joins the thread, closes the connection. Nothing may be in flight. */
void ft_committer_stop(struct ft_committer *c);

#endif
