#include "http_metrics.h"

#include "ft/strbuf.h"
#include "latency_histogram.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "OTHER" };
#define METHOD_COUNT (sizeof methods / sizeof methods[0])
static const int statuses[] = { 200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503, 0 };
#define STATUS_COUNT (sizeof statuses / sizeof statuses[0]) /* the last slot counts any other status */

struct route_metrics {
    atomic_uint_fast64_t requests[METHOD_COUNT][STATUS_COUNT];
    struct ft_latency_histogram duration;
};

struct ft_http_metrics {
    const char *const *routes;
    size_t count;
    atomic_int_fast64_t connections;
    struct route_metrics per_route[]; /* count + 1: the last is "unmatched" */
};

struct ft_http_metrics *ft_http_metrics_new(const char *const *routes, size_t count)
{
    struct ft_http_metrics *m = calloc(1, sizeof *m + (count + 1) * sizeof(struct route_metrics));
    if (m == NULL)
        return NULL;
    m->routes = routes;
    m->count = count;
    return m;
}

void ft_http_metrics_free(struct ft_http_metrics *m)
{
    free(m);
}

static size_t method_slot(const char *method)
{
    for (size_t i = 0; i + 1 < METHOD_COUNT; i++)
        if (strcmp(method, methods[i]) == 0)
            return i;
    return METHOD_COUNT - 1;
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i + 1 < STATUS_COUNT; i++)
        if (statuses[i] == status)
            return i;
    return STATUS_COUNT - 1;
}

void ft_http_metrics_observe(struct ft_http_metrics *m, size_t route_index, const char *method, int status,
                             double seconds)
{
    struct route_metrics *r = &m->per_route[route_index < m->count ? route_index : m->count];
    atomic_fetch_add(&r->requests[method_slot(method)][status_slot(status)], 1);
    ft_latency_histogram_observe(&r->duration, (int64_t)(seconds * 1e6));
}

void ft_http_metrics_connection(struct ft_http_metrics *m, int delta)
{
    atomic_fetch_add(&m->connections, delta);
}

static const char *route_label(const struct ft_http_metrics *m, size_t i)
{
    return i < m->count ? m->routes[i] : "unmatched";
}

char *ft_http_metrics_render(struct ft_http_metrics *m)
{
    struct ft_strbuf t;
    ft_strbuf_init(&t);
    ft_strbuf_printf(&t, "# HELP ft_http_requests_total HTTP requests answered, by route template, method and status.\n"
               "# TYPE ft_http_requests_total counter\n");
    for (size_t i = 0; i <= m->count; i++)
        for (size_t k = 0; k < METHOD_COUNT; k++)
            for (size_t s = 0; s < STATUS_COUNT; s++) {
                uint_fast64_t n = atomic_load(&m->per_route[i].requests[k][s]);
                if (n == 0)
                    continue;
                char status[8];
                snprintf(status, sizeof status, "%d", statuses[s]);
                ft_strbuf_printf(&t, "ft_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %llu\n",
                       route_label(m, i), methods[k], statuses[s] ? status : "other", (unsigned long long)n);
            }
    ft_strbuf_printf(&t, "# HELP ft_http_request_duration_seconds Time from request to answer, by route template.\n"
               "# TYPE ft_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->count; i++) {
        char labels[256];
        snprintf(labels, sizeof labels, "route=\"%s\"", route_label(m, i));
        ft_latency_histogram_render(&m->per_route[i].duration, &t, "ft_http_request_duration_seconds", labels);
    }
    ft_strbuf_printf(&t, "# HELP ft_http_connections_in_flight Open HTTP connections.\n"
               "# TYPE ft_http_connections_in_flight gauge\n"
               "ft_http_connections_in_flight %lld\n",
           (long long)atomic_load(&m->connections));
    return ft_strbuf_take(&t);
}
