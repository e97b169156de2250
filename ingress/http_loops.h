/*
 * The HTTP threads: one libmicrohttpd daemon per thread, each listening on the same port
 * (SO_REUSEPORT spreads the connections) and each run by an event loop of ours instead of
 * libmicrohttpd's internal thread.
 *
 * Why not libmicrohttpd's own threads: its epoll loop (0.9.75, and still 1.0.10) computes
 * one wait, then reads events in batches of 128; when a batch is exactly 128 it waits again
 * with that same wait before handling what it read. If nothing new happens, the events it
 * holds, resumed connections included, sit until the earliest connection timeout: up to
 * FT_HTTP_TIMEOUT_SECONDS. In on-sales, some hundred requests took 4-28 s to their 202.
 * MHD_run() never waits, so a loop that waits itself and then calls it cannot stall.
 */
#ifndef FT_INGRESS_HTTP_LOOPS_H
#define FT_INGRESS_HTTP_LOOPS_H

#include <stddef.h>

#include <microhttpd.h>

struct ft_http_loops;

/*
 * Starts count daemons, each with its thread, all with flags (MHD_USE_EPOLL and
 * MHD_ALLOW_SUSPEND_RESUME are added; no internal thread may be asked for), the access
 * handler and options (ending with MHD_OPTION_END; MHD_OPTION_CONNECTION_LIMIT in them is
 * per daemon). Options that ask for threads (MHD_OPTION_THREAD_POOL_SIZE) are refused by
 * libmicrohttpd. NULL with err filled when a daemon cannot start; none then runs.
 */
struct ft_http_loops *ft_http_loops_start(unsigned int count, unsigned int flags, MHD_AccessHandlerCallback handler,
                                          void *handler_cls, const struct MHD_OptionItem *options, char *err,
                                          size_t errlen);

/* Resumes a suspended connection and wakes the loop that runs it. Any thread. */
void ft_http_loops_resume(struct ft_http_loops *loops, struct MHD_Connection *conn);

/* Stops the loops, then the daemons (which close their connections). NULL is ignored. */
void ft_http_loops_stop(struct ft_http_loops *loops);

#endif
