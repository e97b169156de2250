/*
 * Where the worker's decisions are stored: PostgreSQL, one transaction per batch,
 * fenced by the partition's epoch.
 */
#ifndef FT_WORKER_STORE_H
#define FT_WORKER_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch.h"
#include "decide.h"

enum ft_worker_store_result {
    FT_WSTORE_OK,
    FT_WSTORE_FENCED, /* another worker claimed the partition since: stop writing it */
    FT_WSTORE_FAILED, /* the transaction did not happen (logged); try again later */
    FT_WSTORE_REFUSED, /* PostgreSQL refused the data itself (SQLSTATE class 22 or 23, logged): the
                        * same batch would be refused again, however often it is tried */
};

/*
 * Claims a partition for this worker: bumps its epoch (creating the row at offset 0 if
 * needed) and returns the offset to resume from and the new epoch. Every later commit
 * of an older epoch is refused.
 */
enum ft_worker_store_result ft_wstore_claim(PGconn *db, const char *topic, int32_t partition, int64_t *next_offset,
                                            int64_t *epoch, int64_t *id_base);

/*
 * Reads what the decider needs of one schedule: whether it exists and is open, its
 * seats, and its live reservations. Calls ft_decider_add_schedule. FAILED on a
 * database error or when out of memory.
 */
enum ft_worker_store_result ft_wstore_load_schedule(PGconn *db, struct ft_decider *decider, int64_t schedule_id);

/* The ids of every open schedule, ascending, into *ids (the caller frees it). */
enum ft_worker_store_result ft_wstore_open_schedules(PGconn *db, int64_t **ids, size_t *count);

/* One partition's batch in a commit. */
struct ft_wstore_part {
    int32_t partition;
    int64_t epoch;
    const struct ft_batch *batch;
    enum ft_worker_store_result result; /* set by ft_wstore_commit: OK, or FENCED (nothing of it written);
                                         * the committer may set REFUSED or FAILED (committer.c) */
    bool stored_before; /* set by ft_wstore_commit: OK, and an earlier try of this commit had stored it */
};

/*
 * Writes the batches of several partitions (each at most once) in one transaction, so
 * that they share one WAL flush: for each, new reservations and their seats, paid and
 * ended reservations, the refunds made due (store_payments.h), request outcomes, and the
 * partition's next offset — only for the partitions whose epoch is still the part's
 * (checked under the rows' locks, taken in partition order so that two workers never
 * deadlock). OK when the transaction committed, each part's result then OK or FENCED;
 * FAILED (logged) when it did not, and every part is to be written again; REFUSED (logged)
 * when it did not because PostgreSQL refused some part's data. A part whose
 * partition already stands at its batch's next offset, in its epoch, is OK and written
 * nothing: a COMMIT whose answer was lost went through, and the retry must not write it
 * twice (it would break the primary keys and be retried for ever).
 */
enum ft_worker_store_result ft_wstore_commit(PGconn *db, const char *topic, struct ft_wstore_part *parts,
                                             size_t count);

#endif
