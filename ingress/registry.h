/*
 * The token registry: what this ingress knows of every reservation request still in
 * the queue and of those decided a short while ago, so that a poll is answered from
 * memory. Fed by three sources: this ingress's own delivery reports, the tail of the
 * commands topic (every instance's requests, also after a restart) and the outcomes
 * topic (outcomes, and each partition writer's progress).
 *
 * A token's position is exact: the number of commands in its partition between the
 * writer's next offset and the token's own offset. The writer's next offset only moves
 * forward, and a token is never told a larger position than it was told before.
 *
 * Bounded: at most `capacity` tokens. Decided tokens are forgotten after a TTL, and
 * sooner when room is needed, the oldest decision first; waiting tokens the writer has
 * passed are forgotten too.
 * A forgotten token's outcome is in PostgreSQL (request_outcomes).
 *
 * Memory: 144 bytes per token held, plus a fixed index of 8 bytes per place of capacity
 * and a record of 8 bytes per place for the order of decisions (ft_registry_stats reports
 * the total). Thread-safe (one mutex; every call is O(1)
 * except ft_registry_sweep, which is bounded by its budget). Pure: no I/O, no clock.
 */
#ifndef FT_INGRESS_REGISTRY_H
#define FT_INGRESS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/command.h"

/* Partitions of the commands topic a registry can follow (config allows up to 1024). */
#define FT_REGISTRY_PARTITIONS_MAX 1024
/* Size of a key for the token hash (SipHash-2-4). */
#define FT_REGISTRY_KEY_SIZE 16

enum ft_token_state {
    FT_TOKEN_WAITING,  /* in the log, not decided yet */
    FT_TOKEN_HELD,     /* decided: seats held */
    FT_TOKEN_REJECTED, /* decided: refused, reject_code says why */
    FT_TOKEN_IN_STORE, /* the writer has passed it, its outcome is not in memory: read PostgreSQL */
};

/* A copy of what the registry holds of one token. */
struct ft_token_view {
    enum ft_token_state state;
    int64_t user_id, schedule_id;
    int32_t partition;
    int64_t offset;     /* in the partition */
    bool offset_exact;  /* false while estimated (a delivery report without offset) */
    int64_t position;   /* WAITING: commands still ahead */
    double rate_per_sec; /* WAITING: the partition's decisions per second; 0 when unknown */
    const char *reject_code;                      /* REJECTED: static string */
    int64_t reservation_id, amount, expires_at_ms; /* HELD */
    int32_t seat_count;                            /* HELD */
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];    /* HELD */
};

struct ft_registry;

/*
 * A registry for at most `capacity` tokens (1 .. 2^30); decided tokens are kept
 * decided_ttl_ms after their outcome arrived. key seeds the hash of tokens. NULL when
 * out of memory or the capacity is out of range.
 */
__attribute__((warn_unused_result)) struct ft_registry *ft_registry_new(size_t capacity, int64_t decided_ttl_ms,
                                                                        const unsigned char key[FT_REGISTRY_KEY_SIZE]);
void ft_registry_free(struct ft_registry *reg);

enum ft_registry_add {
    FT_REGISTRY_ADDED,   /* a new waiting token */
    FT_REGISTRY_KNOWN,   /* known already; an estimated offset became exact */
    FT_REGISTRY_PASSED,  /* not kept: the writer has passed its offset, PostgreSQL has the outcome */
    FT_REGISTRY_FULL,    /* not kept: every place holds a token that cannot be forgotten yet */
    FT_REGISTRY_INVALID, /* not kept: malformed token or partition out of range */
};

/*
 * Records that `token` (of user_id, for schedule_id) is in the log at (partition,
 * offset). offset < 0 means unknown (librdkafka may report a delivery without offset
 * under idempotence): it is then estimated as the partition's latest offset seen, until
 * the commands tail supplies the exact one. now_ms is the caller's clock (monotonic).
 */
enum ft_registry_add ft_registry_add(struct ft_registry *reg, const char *token, int64_t user_id, int64_t schedule_id,
                                     int32_t partition, int64_t offset, int64_t now_ms);

/* Records a decided outcome for a token it holds. False (nothing kept) when the token is
 * unknown: its outcome is in PostgreSQL for whoever asks. */
bool ft_registry_decide(struct ft_registry *reg, const struct ft_outcome *outcome, int64_t now_ms);

/* The partition's writer has decided every command before next_offset, deciding
 * rate_per_sec commands a second (0 or less: unchanged). next_offset never moves back. */
void ft_registry_progress(struct ft_registry *reg, int32_t partition, int64_t next_offset, double rate_per_sec);

/* The partition's writer's next offset as known here (0 before any progress). */
int64_t ft_registry_next_offset(struct ft_registry *reg, int32_t partition);

/* Copies what is known of token into *out; false when it is not in memory. A WAITING
 * token's reported position becomes the new ceiling for its later answers. */
bool ft_registry_find(struct ft_registry *reg, const char *token, struct ft_token_view *out);

/*
 * Forgets, looking at `budget` places at most from where the last sweep stopped:
 * decided tokens older than the TTL, waiting tokens the writer has passed, and tokens
 * whose offset stayed an estimate for ten minutes. Returns how many were forgotten.
 */
size_t ft_registry_sweep(struct ft_registry *reg, int64_t now_ms, size_t budget);

/* True when every place holds a waiting token: new tokens cannot be kept in memory. */
bool ft_registry_saturated(struct ft_registry *reg);

struct ft_registry_stats {
    size_t tokens;   /* held now */
    size_t waiting;  /* of which not decided */
    size_t capacity; /* most tokens held at once */
    size_t bytes;    /* memory the registry has allocated */
    size_t entry_bytes; /* bytes of one token's record */
};

void ft_registry_stats(struct ft_registry *reg, struct ft_registry_stats *out);

#endif
