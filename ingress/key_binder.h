/*
 * Binds Idempotency-Keys in batches, on a thread of its own: every key that waits is bound
 * by one statement and one commit, as the worker commits its decisions. The browser sends
 * a key with every reservation, and one INSERT and one commit (a WAL flush) per request
 * held the keyed on-sale below the lock-per-request baseline (README, "Idempotency-Keys").
 */
#ifndef FT_INGRESS_KEY_BINDER_H
#define FT_INGRESS_KEY_BINDER_H

#include <stdbool.h>
#include <stdint.h>

#include "ft/db_pool.h"
#include "request_token.h"
#include "store.h"

/* One key to bind to a new request's token. */
struct ft_key_bind {
    int64_t user_id;
    const char *key, *token; /* valid until done */
    const char *request;     /* what the request asks for (ft_reservation_fingerprint); valid until done */
    /* Set before done: OK, bound to token; CONFLICT, the key is bound to `existing` since
     * age_ms ago, for another request when `other_request`; NOT_FOUND, the user does not
     * exist; UNAVAILABLE or FAILED. */
    enum ft_store_result result;
    char existing[FT_REQUEST_TOKEN_SIZE];
    int64_t age_ms;
    bool other_request;
    void (*done)(struct ft_key_bind *bind); /* on the binder's thread, exactly once */
    struct ft_key_bind *next;               /* the binder's */
    int attempts;                           /* the binder's */
};

struct ft_key_binder;

/* Starts the thread; it takes its connections from pool. NULL when it cannot start. */
__attribute__((warn_unused_result)) struct ft_key_binder *ft_key_binder_start(struct ft_db_pool *pool);

/* Queues bind; its done is called once it is bound or has failed. */
void ft_key_binder_submit(struct ft_key_binder *binder, struct ft_key_bind *bind);

/* Binds what waits, then stops the thread and frees the binder. NULL is ignored. */
void ft_key_binder_stop(struct ft_key_binder *binder);

#endif
