#include <stdlib.h>

#include "access_cache.h"
#include "ft/kafka_client.h"
#include "ft/strbuf.h"
#include "handlers.h"
#include "response.h"

void ft_handle_healthz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    (void)app;
    (void)req;
    ft_respond_json_text(resp, 200, "{\"status\":\"ok\"}");
}

static bool postgres_ready(struct ft_app *app)
{
    PGconn *db = ft_db_acquire(app->db, 1000);
    if (db == NULL)
        return false;
    PGresult *res = ft_db_query(db, "SELECT 1", 0, NULL);
    bool ok = ft_db_ok(res);
    PQclear(res);
    ft_db_release(app->db, db);
    return ok;
}

void ft_handle_readyz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    (void)req;
    bool postgres = postgres_ready(app);
    bool kafka = ft_kafka_reachable(app->producer, 2000);
    ft_respond_json(resp, postgres && kafka ? 200 : 503,
                    json_pack("{s:s, s:{s:s, s:s}}", "status", postgres && kafka ? "ready" : "not_ready", "checks",
                              "postgres", postgres ? "ok" : "down", "kafka", kafka ? "ok" : "down"));
}

void ft_handle_metrics(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    (void)req;
    struct ft_access_cache_stats cache;
    ft_access_cache_stats(app->access_tokens, &cache);
    char *routes = ft_http_metrics_render(app->metrics);
    struct ft_strbuf t;
    ft_strbuf_init(&t);
    ft_strbuf_printf(&t, "%s"
                     "# HELP ft_access_token_checks_total Access tokens checked, by whether the cache of verified "
                     "ones answered.\n"
                     "# TYPE ft_access_token_checks_total counter\n"
                     "ft_access_token_checks_total{cache=\"hit\"} %llu\n"
                     "ft_access_token_checks_total{cache=\"miss\"} %llu\n",
                     routes != NULL ? routes : "", (unsigned long long)cache.hits, (unsigned long long)cache.misses);
    char *text = routes != NULL ? ft_strbuf_take(&t) : NULL;
    free(routes);
    ft_strbuf_free(&t);
    if (text == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is out of memory; try again shortly");
        return;
    }
    ft_respond_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text);
    free(text);
}
