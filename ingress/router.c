#include "router.h"

#include <stdio.h>
#include <string.h>

/*
 * Compares one template against a path. On a match, copies the segment under `{…}` into
 * param. A segment longer than the buffer is cut to fit: no id or token is that long, so
 * the route's own parser refuses the cut one as it would the whole (400 INVALID_ID), where
 * not matching would have answered 404 for a path the API has.
 */
static bool path_matches(const char *template, const char *path, char *param, size_t param_size)
{
    const char *t = template, *p = path;
    param[0] = '\0';
    while (*t != '\0' && *p != '\0') {
        if (*t == '{') {
            const char *t_end = strchr(t, '}');
            size_t seg_len = strcspn(p, "/");
            if (t_end == NULL || seg_len == 0)
                return false;
            size_t kept = seg_len < param_size ? seg_len : param_size - 1;
            memcpy(param, p, kept);
            param[kept] = '\0';
            t = t_end + 1;
            p += seg_len;
            continue;
        }
        if (*t != *p)
            return false;
        t++;
        p++;
    }
    return *t == '\0' && *p == '\0';
}

/* True when a route of route_method answers method: HEAD is GET without the body
 * (libmicrohttpd leaves the body out), as HTTP asks of every server (RFC 9110, 9.3.2). */
static bool answers(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 || (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* Matches the routes whose template is literal (or, with literal false, has a `{…}`). */
static void match_pass(const struct ft_route *routes, size_t count, const char *method, const char *path,
                       bool literal, struct ft_match *match)
{
    char param[FT_ROUTE_PARAM_MAX];
    for (size_t i = 0; i < count; i++) {
        bool is_literal = strchr(routes[i].path, '{') == NULL;
        if (is_literal != literal || !path_matches(routes[i].path, path, param, sizeof param))
            continue;
        if (answers(routes[i].method, method)) {
            match->result = FT_MATCH_FOUND;
            match->index = i;
            memcpy(match->param, param, sizeof param);
            return;
        }
        match->result = FT_MATCH_WRONG_METHOD;
        size_t used = strlen(match->allow);
        snprintf(match->allow + used, sizeof match->allow - used, "%s%s%s", used ? ", " : "", routes[i].method,
                 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
    }
}

/*
 * A path that a literal template names is that resource, whatever a template with a
 * `{…}` would also match: GET /api/v1/payments/prepare is 405 (POST only), not a read of
 * the payment of reservation "prepare".
 */
void ft_router_match(const struct ft_route *routes, size_t count, const char *method, const char *path,
                     struct ft_match *match)
{
    match->result = FT_MATCH_NO_PATH;
    match->index = 0;
    match->param[0] = '\0';
    match->allow[0] = '\0';
    match_pass(routes, count, method, path, true, match);
    if (match->result == FT_MATCH_NO_PATH)
        match_pass(routes, count, method, path, false, match);
}
