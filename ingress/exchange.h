/*
 * What the server (server.c) offers a handler beyond struct ft_request: request headers,
 * a Retry-After on the answer, and answering later.
 *
 * Answering later: an HTTP thread never waits on Kafka. A handler that has sent work
 * elsewhere calls ft_async_defer, which suspends the connection (libmicrohttpd stops
 * reading it and calls nothing for it), and returns. Whoever completes the work calls
 * ft_async_resume from any thread, exactly once; the server then calls finish(ctx, resp)
 * on an HTTP thread to fill the answer, and sends it. release(ctx) is called exactly
 * once when the exchange ends, on an HTTP thread: after finish, or instead of it when
 * the client went away meanwhile.
 *
 * A suspended connection neither times out nor notices that the client left, and the
 * daemon must not be stopped while one is suspended: whoever defers must make sure
 * ft_async_resume is called before ft_server_stop (pipeline.c drains its producer).
 */
#ifndef FT_INGRESS_EXCHANGE_H
#define FT_INGRESS_EXCHANGE_H

#include "http_types.h"

/* A request header (case-insensitive name), or NULL. Valid during the handler's call;
 * req must be the request the server gave the handler. */
const char *ft_request_header(const struct ft_request *req, const char *name);

/* The answer will carry Retry-After: seconds (every 503 carries 1 unless told otherwise). */
void ft_request_retry_after(const struct ft_request *req, int seconds);

struct ft_async;

typedef void (*ft_async_finish_fn)(void *ctx, struct ft_response *resp);
typedef void (*ft_async_release_fn)(void *ctx);

/*
 * Defers the answer of req (see above). Call at most once, from the handler, before it
 * returns; whatever the handler put in its resp is then ignored. Returns the handle to
 * give ft_async_resume; ctx belongs to the server until release(ctx).
 */
struct ft_async *ft_async_defer(const struct ft_request *req, ft_async_finish_fn finish, ft_async_release_fn release,
                                void *ctx);

/* The deferred answer is ready: any thread, exactly once, also during the handler. */
void ft_async_resume(struct ft_async *async);

/*
 * For a handler that has deferred its answer and must wait on PostgreSQL before it can go
 * on: runs run(ctx) on the blocking pool (blocking_pool.h), which then resumes, directly
 * or through other work. False, with nothing run (and a warning logged), when the pool's
 * queue is full: answer ft_respond_pool_full (handlers.h), then resume.
 */
__attribute__((warn_unused_result)) bool ft_async_run_blocking(const struct ft_request *req, void (*run)(void *ctx),
                                                               void *ctx);

#endif
