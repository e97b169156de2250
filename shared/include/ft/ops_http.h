/*
 * The operations endpoint of the background programs (worker, expirer): GET /healthz
 * and GET /metrics on their own port, served by a libmicrohttpd thread. The program
 * supplies the metrics text through a callback.
 */
#ifndef FT_OPS_HTTP_H
#define FT_OPS_HTTP_H

#include <stdbool.h>

struct ft_ops_http;

/* Writes the Prometheus text of the program's metrics; returns malloc'd text or NULL. */
typedef char *(*ft_metrics_render_fn)(void *ctx);

/*
 * Listens on addr:port (port 0: does nothing and returns a handle that serves nothing).
 * NULL when the port cannot be bound.
 */
struct ft_ops_http *ft_ops_http_start(const char *addr, int port, ft_metrics_render_fn render, void *ctx);
void ft_ops_http_stop(struct ft_ops_http *server);

#endif
