/*
 * Threads for work that waits: a call to PortOne, a password hash, a PostgreSQL query.
 * libmicrohttpd gives each HTTP thread many connections, so one handler waiting 50 ms on
 * PortOne stalled every request of that thread for 50 ms (with a fifth of the buyers
 * paying, the on-sale benchmark decided 4 times fewer requests). Routes marked blocking
 * (routes.c) run here instead, their connection suspended meanwhile (exchange.h).
 *
 * A bounded queue: when it is full, submit refuses and the request is answered 503 at
 * once, rather than waiting behind work that may itself be waiting on a timeout.
 */
#ifndef FT_INGRESS_BLOCKING_POOL_H
#define FT_INGRESS_BLOCKING_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct ft_blocking_pool;

/* Starts `threads` threads; at most queue_max jobs wait. NULL when threads cannot start. */
__attribute__((warn_unused_result)) struct ft_blocking_pool *ft_blocking_pool_start(int threads, size_t queue_max);

/* Runs run(ctx) on a pool thread, in submission order; false (nothing run) when the queue
 * is full or the pool is stopping. */
__attribute__((warn_unused_result)) bool ft_blocking_pool_submit(struct ft_blocking_pool *pool, void (*run)(void *),
                                                                 void *ctx);

/* Jobs waiting or running now. */
size_t ft_blocking_pool_load(struct ft_blocking_pool *pool);

/* Runs what is queued, joins the threads and frees the pool. NULL is ignored. */
void ft_blocking_pool_stop(struct ft_blocking_pool *pool);

#endif
