#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "http_metrics.h"

static const char *const routes[] = { "/api/v1/concerts", "/api/v1/concerts/{id}" };

Test(http_metrics, counts_by_route_method_and_status)
{
    struct ft_http_metrics *m = ft_http_metrics_new(routes, 2);
    ft_http_metrics_observe(m, 0, "GET", 200, 0.002);
    ft_http_metrics_observe(m, 0, "GET", 200, 0.003);
    ft_http_metrics_observe(m, 1, "GET", 404, 0.0001);
    ft_http_metrics_observe(m, 2, "BREW", 404, 0.0001); /* unmatched route, unknown method */
    char *text = ft_http_metrics_render(m);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "ft_http_requests_total{route=\"/api/v1/concerts\",method=\"GET\",status=\"200\"} 2\n"));
    cr_expect(strstr(text, "ft_http_requests_total{route=\"/api/v1/concerts/{id}\",method=\"GET\",status=\"404\"} 1\n"));
    cr_expect(strstr(text, "ft_http_requests_total{route=\"unmatched\",method=\"OTHER\",status=\"404\"} 1\n"));
    free(text);
    ft_http_metrics_free(m);
}

Test(http_metrics, histogram_buckets_are_cumulative)
{
    struct ft_http_metrics *m = ft_http_metrics_new(routes, 2);
    ft_http_metrics_observe(m, 0, "GET", 200, 0.0004); /* le 0.0005 */
    ft_http_metrics_observe(m, 0, "GET", 200, 0.02);   /* le 0.025 */
    ft_http_metrics_observe(m, 0, "GET", 200, 60);     /* only +Inf */
    char *text = ft_http_metrics_render(m);
    cr_expect(strstr(text, "ft_http_request_duration_seconds_bucket{route=\"/api/v1/concerts\",le=\"0.0005\"} 1\n"));
    cr_expect(strstr(text, "ft_http_request_duration_seconds_bucket{route=\"/api/v1/concerts\",le=\"0.01\"} 1\n"));
    cr_expect(strstr(text, "ft_http_request_duration_seconds_bucket{route=\"/api/v1/concerts\",le=\"0.025\"} 2\n"));
    cr_expect(strstr(text, "ft_http_request_duration_seconds_bucket{route=\"/api/v1/concerts\",le=\"+Inf\"} 3\n"));
    cr_expect(strstr(text, "ft_http_request_duration_seconds_count{route=\"/api/v1/concerts\"} 3\n"));
    free(text);
    ft_http_metrics_free(m);
}

Test(http_metrics, connections_gauge_follows_open_and_close)
{
    struct ft_http_metrics *m = ft_http_metrics_new(routes, 2);
    ft_http_metrics_connection(m, 1);
    ft_http_metrics_connection(m, 1);
    ft_http_metrics_connection(m, -1);
    char *text = ft_http_metrics_render(m);
    cr_expect(strstr(text, "ft_http_connections_in_flight 1\n"));
    free(text);
    ft_http_metrics_free(m);
}
