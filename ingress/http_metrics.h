/*
 * Prometheus metrics of the HTTP server: requests by route, method and status, a
 * latency histogram per route, and the connections in flight. Lock-free counters:
 * observing a request is a few atomic additions.
 */
#ifndef FT_INGRESS_HTTP_METRICS_H
#define FT_INGRESS_HTTP_METRICS_H

#include <stddef.h>

struct ft_http_metrics;

/*
 * Creates metrics for `count` route templates (copied by reference: they must outlive
 * the metrics). Requests that match no route are counted under route="unmatched".
 */
struct ft_http_metrics *ft_http_metrics_new(const char *const *routes, size_t count);
void ft_http_metrics_free(struct ft_http_metrics *m);

/* Records one answered request. route_index == count means unmatched. */
void ft_http_metrics_observe(struct ft_http_metrics *m, size_t route_index, const char *method, int status,
                             double seconds);

/* Connections opened and closed. */
void ft_http_metrics_connection(struct ft_http_metrics *m, int delta);

/* Renders the exposition text; malloc'd, the caller frees. NULL when out of memory. */
char *ft_http_metrics_render(struct ft_http_metrics *m);

#endif
