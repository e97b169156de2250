/*
 * The HTTP server: libmicrohttpd with epoll and a thread pool. Where a request enters:
 * it reads the body within the size limit, matches the route, checks the caller's token
 * and role, calls the handler and writes the answer, one log line and the metrics.
 */
#ifndef FT_INGRESS_SERVER_H
#define FT_INGRESS_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

struct ft_server;

/* Starts listening with app's configuration. NULL with a reason in err on failure. */
__attribute__((warn_unused_result)) struct ft_server *ft_server_start(struct ft_app *app, char *err,
                                                                      size_t errlen);

/*
 * Waits up to timeout_ms until every deferred exchange (exchange.h) has completed: its
 * answer sent, or its client gone. Every deferred exchange must have been resumed (or be
 * about to be); call before ft_server_stop, which would cut their answers off.
 */
void ft_server_drain(struct ft_server *server, int timeout_ms);

/* Stops accepting, finishes or closes every connection, joins the threads, frees. */
void ft_server_stop(struct ft_server *server);

#endif
