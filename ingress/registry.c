#include "registry.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "huge_pages.h"
#include "wait_estimate.h"

#define TOKEN_LEN (FT_REQUEST_TOKEN_SIZE - 1)
#define CHUNK_SHIFT 12
#define CHUNK_SIZE ((size_t)1 << CHUNK_SHIFT)
#define CAPACITY_MAX ((size_t)1 << 30)
#define NO_ENTRY UINT32_MAX
/* A token whose offset stays an estimate this long is dropped (PostgreSQL answers it). */
#define ESTIMATE_TTL_MS (10 * 60 * 1000)

/* Life of a place in the entry array. */
enum entry_state {
    ENTRY_FREE = 0, /* on the free list */
    ENTRY_WAITING,  /* in the log, undecided as far as we know */
    ENTRY_HELD,     /* decided, seats held */
    ENTRY_REJECTED, /* decided, refused */
};

#define FLAG_EXACT 1u /* offset read from the log, not estimated */

/* One token: 144 bytes, of which 35 are the token itself. */
struct entry {
    char token[FT_REQUEST_TOKEN_SIZE];
    uint8_t state; /* enum entry_state */
    uint8_t flags;
    uint8_t seat_count;
    uint16_t partition; /* < FT_REGISTRY_PARTITIONS_MAX */
    uint32_t next_free; /* ENTRY_FREE: the next free place, or NO_ENTRY */
    int64_t user_id, schedule_id, offset;
    int64_t ceiling;    /* the smallest position told so far */
    int64_t learned_ms; /* when added, or when the outcome arrived */
    union {
        int64_t reservation_id;  /* HELD */
        const char *reject_code; /* REJECTED */
    } u;
    int64_t amount, expires_at_ms; /* HELD */
    int64_t seat_ids[FT_SEATS_PER_REQUEST_MAX];
};

_Static_assert(sizeof(struct entry) == 144, "a token's record is meant to take 144 bytes");
/* A slot keeps a 32-bit hash whose low bits are its home, and a 32-bit index + 1. */
_Static_assert(CAPACITY_MAX * 2 <= ((size_t)1 << 31), "slots beyond 2^31 would need more than the hash's 32 bits");

struct partition_state {
    int64_t next_offset; /* the writer's: everything before it is decided */
    int64_t latest;      /* one past the highest offset seen: the estimate for unknown offsets */
    double rate_per_sec;
};

struct ft_registry {
    pthread_mutex_t lock;
    unsigned char key[FT_REGISTRY_KEY_SIZE];
    size_t capacity;
    int64_t decided_ttl_ms;
    /* index: open addressing with linear probing. A slot holds the token's hash in its high
     * 32 bits and the entry's index + 1 in its low ones; 0 = empty. A probe compares the
     * hash before it reads the entry: the entries are 144 bytes each, spread over hundreds
     * of MB, and reading one for every member of a cluster was a cache miss each (perf:
     * find_slot 2.6 % of the machine in a closed loop of 64). */
    uint64_t *slots;
    size_t mask;
    /* entries, in chunks allocated as the registry fills */
    struct entry **chunks;
    size_t chunk_count;
    size_t used;        /* places ever handed out: [0, used) */
    uint32_t free_head; /* NO_ENTRY when none */
    size_t tokens, waiting;
    size_t sweep_cursor;
    bool nothing_to_evict; /* a full scan found nothing; cleared by decisions and progress */
    /* Decisions in the order they came: a record is the entry's index in the high 32 bits
     * and the low 32 bits of its learned_ms, so that a record whose entry was forgotten or
     * decided again since no longer matches it. When the registry is full, room is made
     * by forgetting the oldest decision first: taken at the sweep's cursor instead, it was
     * any decided token, often one decided a moment before and not polled yet, whose poll
     * then went to PostgreSQL (the full runs of 2026-11-25 at 20:59 and 21:28: polls at 38
     * to 57 % of nginx after 1.5 million tokens decided in two minutes). A ring of
     * `capacity` records; when full, the oldest record is dropped (its token is still swept
     * or scanned out). */
    uint64_t *decided;
    size_t decided_head, decided_count;
    struct partition_state parts[FT_REGISTRY_PARTITIONS_MAX];
};

static struct entry *entry_at(const struct ft_registry *reg, uint32_t index)
{
    return &reg->chunks[index >> CHUNK_SHIFT][index & (CHUNK_SIZE - 1)];
}

/* The token's keyed hash; its slot's home is hash & mask (at most 2^31 slots). */
static uint32_t token_hash(const struct ft_registry *reg, const char *token)
{
    uint64_t hash;
    crypto_shorthash((unsigned char *)&hash, (const unsigned char *)token, TOKEN_LEN, reg->key);
    return (uint32_t)hash;
}

static uint32_t slot_hash(uint64_t slot)
{
    return (uint32_t)(slot >> 32);
}

static uint32_t slot_index(uint64_t slot)
{
    return (uint32_t)slot - 1;
}

struct ft_registry *ft_registry_new(size_t capacity, int64_t decided_ttl_ms,
                                    const unsigned char key[FT_REGISTRY_KEY_SIZE])
{
    if (capacity < 1 || capacity > CAPACITY_MAX)
        return NULL;
    struct ft_registry *reg = calloc(1, sizeof *reg);
    if (reg == NULL)
        return NULL;
    size_t slots = 16;
    while (slots < capacity * 2) /* load factor at most one half */
        slots *= 2;
    reg->slots = ft_huge_calloc(slots * sizeof reg->slots[0]); /* read at random: huge_pages.h */
    reg->chunk_count = (capacity + CHUNK_SIZE - 1) / CHUNK_SIZE;
    reg->chunks = calloc(reg->chunk_count, sizeof reg->chunks[0]);
    reg->decided = malloc(capacity * sizeof reg->decided[0]);
    if (reg->slots == NULL || reg->chunks == NULL || reg->decided == NULL) {
        ft_huge_free(reg->slots, slots * sizeof reg->slots[0]);
        free(reg->chunks);
        free(reg->decided);
        free(reg);
        return NULL;
    }
    reg->mask = slots - 1;
    reg->capacity = capacity;
    reg->decided_ttl_ms = decided_ttl_ms;
    reg->free_head = NO_ENTRY;
    memcpy(reg->key, key, FT_REGISTRY_KEY_SIZE);
    pthread_mutex_init(&reg->lock, NULL);
    return reg;
}

void ft_registry_free(struct ft_registry *reg)
{
    if (reg == NULL)
        return;
    for (size_t i = 0; i < reg->chunk_count; i++)
        free(reg->chunks[i]);
    free(reg->chunks);
    free(reg->decided);
    ft_huge_free(reg->slots, (reg->mask + 1) * sizeof reg->slots[0]);
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

/* The slot holding token (whose hash is given), or SIZE_MAX. Lock held. */
static size_t find_hashed(const struct ft_registry *reg, const char *token, uint32_t hash)
{
    for (size_t i = hash & reg->mask;; i = (i + 1) & reg->mask) {
        uint64_t held = reg->slots[i];
        if (held == 0)
            return SIZE_MAX;
        if (slot_hash(held) == hash && memcmp(entry_at(reg, slot_index(held))->token, token, TOKEN_LEN) == 0)
            return i;
    }
}

static size_t find_slot(const struct ft_registry *reg, const char *token)
{
    return find_hashed(reg, token, token_hash(reg, token));
}

/* Empties slot i and shifts later members of its cluster back (no tombstones). */
static void clear_slot(struct ft_registry *reg, size_t i)
{
    reg->slots[i] = 0;
    for (size_t j = (i + 1) & reg->mask; reg->slots[j] != 0; j = (j + 1) & reg->mask) {
        size_t home = slot_hash(reg->slots[j]) & reg->mask;
        /* j's member may move to i when its home is not in the cyclic range (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            reg->slots[i] = reg->slots[j];
            reg->slots[j] = 0;
            i = j;
        }
    }
}

/* Forgets the entry in slot i. */
static void remove_at_slot(struct ft_registry *reg, size_t i)
{
    uint32_t index = slot_index(reg->slots[i]);
    struct entry *e = entry_at(reg, index);
    if (e->state == ENTRY_WAITING)
        reg->waiting--;
    reg->tokens--;
    clear_slot(reg, i);
    memset(e, 0, sizeof *e);
    e->next_free = reg->free_head;
    reg->free_head = index;
}

/* Whether an entry may be forgotten: PostgreSQL can answer for it. `any_age` also takes
 * decided entries younger than the TTL (when room is needed). */
static bool forgettable(const struct ft_registry *reg, const struct entry *e, int64_t now_ms, bool any_age)
{
    if (e->state == ENTRY_HELD || e->state == ENTRY_REJECTED)
        return any_age || now_ms - e->learned_ms >= reg->decided_ttl_ms;
    if (e->state != ENTRY_WAITING)
        return false;
    if (e->offset < reg->parts[e->partition].next_offset)
        return (e->flags & FLAG_EXACT) || any_age;
    return !(e->flags & FLAG_EXACT) && now_ms - e->learned_ms >= ESTIMATE_TTL_MS;
}

/* Scans up to budget places from the cursor, forgetting what may be forgotten; stops
 * after `want` were forgotten. Lock held. */
static size_t scan(struct ft_registry *reg, int64_t now_ms, size_t budget, size_t want, bool any_age)
{
    size_t forgotten = 0;
    for (size_t n = 0; n < budget && reg->used > 0 && forgotten < want; n++) {
        if (reg->sweep_cursor >= reg->used)
            reg->sweep_cursor = 0;
        struct entry *e = entry_at(reg, (uint32_t)reg->sweep_cursor++);
        if (e->state != ENTRY_FREE && forgettable(reg, e, now_ms, any_age)) {
            remove_at_slot(reg, find_slot(reg, e->token));
            forgotten++;
        }
    }
    return forgotten;
}

static uint64_t decided_record(uint32_t index, int64_t learned_ms)
{
    return (uint64_t)index << 32 | (uint32_t)learned_ms;
}

/* Lock held. */
static void remember_decision(struct ft_registry *reg, uint32_t index, int64_t learned_ms)
{
    if (reg->decided_count == reg->capacity) { /* drop the oldest record */
        reg->decided_head = (reg->decided_head + 1) % reg->capacity;
        reg->decided_count--;
    }
    reg->decided[(reg->decided_head + reg->decided_count) % reg->capacity] = decided_record(index, learned_ms);
    reg->decided_count++;
}

/* Forgets the oldest decision still held; false when the records hold none. Lock held. */
static bool forget_oldest_decision(struct ft_registry *reg)
{
    while (reg->decided_count > 0) {
        uint64_t record = reg->decided[reg->decided_head];
        reg->decided_head = (reg->decided_head + 1) % reg->capacity;
        reg->decided_count--;
        uint32_t index = (uint32_t)(record >> 32);
        if (index >= reg->used)
            continue;
        const struct entry *e = entry_at(reg, index);
        if ((e->state == ENTRY_HELD || e->state == ENTRY_REJECTED) && decided_record(index, e->learned_ms) == record) {
            remove_at_slot(reg, find_slot(reg, e->token));
            return true;
        }
    }
    return false;
}

/* A free place for a new entry, forgetting an old one when full (the oldest decision, or
 * a token the writer has passed); NO_ENTRY when none. */
static uint32_t take_place(struct ft_registry *reg, int64_t now_ms)
{
    if (reg->tokens >= reg->capacity && !forget_oldest_decision(reg)) {
        if (reg->nothing_to_evict || scan(reg, now_ms, reg->used, 1, true) == 0) {
            reg->nothing_to_evict = true;
            return NO_ENTRY;
        }
    }
    if (reg->free_head != NO_ENTRY) {
        uint32_t index = reg->free_head;
        reg->free_head = entry_at(reg, index)->next_free;
        return index;
    }
    size_t chunk = reg->used >> CHUNK_SHIFT;
    if (reg->chunks[chunk] == NULL && (reg->chunks[chunk] = calloc(CHUNK_SIZE, sizeof(struct entry))) == NULL)
        return NO_ENTRY;
    return (uint32_t)reg->used++;
}

static bool token_shape(const char *token)
{
    return token != NULL && strnlen(token, FT_REQUEST_TOKEN_SIZE) == TOKEN_LEN;
}

enum ft_registry_add ft_registry_add(struct ft_registry *reg, const char *token, int64_t user_id, int64_t schedule_id,
                                     int32_t partition, int64_t offset, int64_t now_ms)
{
    if (!token_shape(token) || partition < 0 || partition >= FT_REGISTRY_PARTITIONS_MAX)
        return FT_REGISTRY_INVALID;
    pthread_mutex_lock(&reg->lock);
    struct partition_state *part = &reg->parts[partition];
    bool exact = offset >= 0;
    if (exact && offset + 1 > part->latest)
        part->latest = offset + 1;
    enum ft_registry_add result;
    uint32_t hash = token_hash(reg, token);
    size_t slot = find_hashed(reg, token, hash);
    if (slot != SIZE_MAX) {
        struct entry *e = entry_at(reg, slot_index(reg->slots[slot]));
        if (e->state == ENTRY_WAITING && exact && (!(e->flags & FLAG_EXACT) || offset < e->offset)) {
            e->offset = offset;
            e->flags |= FLAG_EXACT;
        }
        result = FT_REGISTRY_KNOWN;
    } else if (exact && offset < part->next_offset) {
        result = FT_REGISTRY_PASSED;
    } else {
        uint32_t index = take_place(reg, now_ms);
        if (index == NO_ENTRY) {
            result = FT_REGISTRY_FULL;
        } else {
            struct entry *e = entry_at(reg, index);
            memset(e, 0, sizeof *e);
            memcpy(e->token, token, TOKEN_LEN);
            e->state = ENTRY_WAITING;
            e->flags = exact ? FLAG_EXACT : 0;
            e->partition = (uint16_t)partition;
            e->user_id = user_id;
            e->schedule_id = schedule_id;
            e->offset = exact ? offset : (part->latest > part->next_offset ? part->latest : part->next_offset);
            e->ceiling = INT64_MAX;
            e->learned_ms = now_ms;
            size_t i = hash & reg->mask;
            while (reg->slots[i] != 0)
                i = (i + 1) & reg->mask;
            reg->slots[i] = (uint64_t)hash << 32 | (index + 1);
            reg->tokens++;
            reg->waiting++;
            result = FT_REGISTRY_ADDED;
        }
    }
    pthread_mutex_unlock(&reg->lock);
    return result;
}

bool ft_registry_decide(struct ft_registry *reg, const struct ft_outcome *o, int64_t now_ms)
{
    if (!token_shape(o->token))
        return false;
    pthread_mutex_lock(&reg->lock);
    reg->nothing_to_evict = false;
    size_t slot = find_slot(reg, o->token);
    if (slot != SIZE_MAX) {
        uint32_t index = slot_index(reg->slots[slot]);
        struct entry *e = entry_at(reg, index);
        if (e->state == ENTRY_WAITING)
            reg->waiting--;
        e->learned_ms = now_ms;
        remember_decision(reg, index, now_ms);
        if (o->offset >= 0) {
            e->offset = o->offset;
            e->flags |= FLAG_EXACT;
        }
        if (o->status == FT_OUTCOME_HELD) {
            int32_t count = o->seat_count < 0                          ? 0
                            : o->seat_count > FT_SEATS_PER_REQUEST_MAX ? FT_SEATS_PER_REQUEST_MAX
                                                                       : o->seat_count;
            e->state = ENTRY_HELD;
            e->u.reservation_id = o->reservation_id;
            e->amount = o->amount;
            e->expires_at_ms = o->expires_at_ms;
            e->seat_count = (uint8_t)count;
            memcpy(e->seat_ids, o->seat_ids, (size_t)count * sizeof o->seat_ids[0]);
        } else {
            e->state = ENTRY_REJECTED;
            e->u.reject_code = o->reject_code;
        }
    }
    pthread_mutex_unlock(&reg->lock);
    return slot != SIZE_MAX;
}

void ft_registry_progress(struct ft_registry *reg, int32_t partition, int64_t next_offset, double rate_per_sec)
{
    if (partition < 0 || partition >= FT_REGISTRY_PARTITIONS_MAX)
        return;
    pthread_mutex_lock(&reg->lock);
    struct partition_state *part = &reg->parts[partition];
    if (next_offset > part->next_offset) {
        part->next_offset = next_offset;
        reg->nothing_to_evict = false;
    }
    if (rate_per_sec > 0)
        part->rate_per_sec = rate_per_sec;
    pthread_mutex_unlock(&reg->lock);
}

int64_t ft_registry_next_offset(struct ft_registry *reg, int32_t partition)
{
    if (partition < 0 || partition >= FT_REGISTRY_PARTITIONS_MAX)
        return 0;
    pthread_mutex_lock(&reg->lock);
    int64_t next = reg->parts[partition].next_offset;
    pthread_mutex_unlock(&reg->lock);
    return next;
}

bool ft_registry_find(struct ft_registry *reg, const char *token, struct ft_token_view *out)
{
    if (!token_shape(token))
        return false;
    pthread_mutex_lock(&reg->lock);
    size_t slot = find_slot(reg, token);
    if (slot != SIZE_MAX) {
        struct entry *e = entry_at(reg, slot_index(reg->slots[slot]));
        const struct partition_state *part = &reg->parts[e->partition];
        memset(out, 0, sizeof *out);
        out->user_id = e->user_id;
        out->schedule_id = e->schedule_id;
        out->partition = e->partition;
        out->offset = e->offset;
        out->offset_exact = (e->flags & FLAG_EXACT) != 0;
        switch ((enum entry_state)e->state) {
        case ENTRY_WAITING: {
            if (e->offset < part->next_offset) {
                out->state = FT_TOKEN_IN_STORE;
                break;
            }
            int64_t position = ft_wait_position(e->offset, part->next_offset);
            if (position > e->ceiling)
                position = e->ceiling; /* an estimate told earlier was lower: never go back */
            e->ceiling = position;
            out->state = FT_TOKEN_WAITING;
            out->position = position;
            out->rate_per_sec = part->rate_per_sec;
            break;
        }
        case ENTRY_HELD:
            out->state = FT_TOKEN_HELD;
            out->reservation_id = e->u.reservation_id;
            out->amount = e->amount;
            out->expires_at_ms = e->expires_at_ms;
            out->seat_count = e->seat_count;
            memcpy(out->seat_ids, e->seat_ids, sizeof out->seat_ids);
            break;
        case ENTRY_REJECTED:
            out->state = FT_TOKEN_REJECTED;
            out->reject_code = e->u.reject_code;
            break;
        case ENTRY_FREE:
            break;
        }
    }
    pthread_mutex_unlock(&reg->lock);
    return slot != SIZE_MAX;
}

size_t ft_registry_sweep(struct ft_registry *reg, int64_t now_ms, size_t budget)
{
    pthread_mutex_lock(&reg->lock);
    size_t forgotten = scan(reg, now_ms, budget, SIZE_MAX, false);
    pthread_mutex_unlock(&reg->lock);
    return forgotten;
}

bool ft_registry_saturated(struct ft_registry *reg)
{
    pthread_mutex_lock(&reg->lock);
    bool saturated = reg->waiting >= reg->capacity;
    pthread_mutex_unlock(&reg->lock);
    return saturated;
}

void ft_registry_stats(struct ft_registry *reg, struct ft_registry_stats *out)
{
    pthread_mutex_lock(&reg->lock);
    size_t chunks = 0;
    for (size_t i = 0; i < reg->chunk_count; i++)
        chunks += reg->chunks[i] != NULL;
    *out = (struct ft_registry_stats){
        .tokens = reg->tokens,
        .waiting = reg->waiting,
        .capacity = reg->capacity,
        .bytes = sizeof *reg + (reg->mask + 1) * sizeof reg->slots[0] + reg->chunk_count * sizeof reg->chunks[0] +
                 chunks * CHUNK_SIZE * sizeof(struct entry) + reg->capacity * sizeof reg->decided[0],
        .entry_bytes = sizeof(struct entry),
    };
    pthread_mutex_unlock(&reg->lock);
}
