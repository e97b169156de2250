/*
 * Matching a method and path against the route table.
 *
 * A route's path is an OpenAPI-style template ("/api/v1/concerts/{id}"); a `{…}`
 * segment matches one non-empty segment, and at most one per route is captured. Paths
 * are compared segment by segment, exactly: no trailing slash, no empty segments.
 */
#ifndef FT_INGRESS_ROUTER_H
#define FT_INGRESS_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "http_types.h"

struct ft_route {
    const char *method;
    const char *path; /* template */
    ft_handler handler;
    enum ft_access access;
    bool takes_body; /* POST routes: a JSON object is expected */
    bool blocking;   /* waits on PortOne or hashes a password: runs on the blocking pool */
};

enum ft_match_result {
    FT_MATCH_FOUND,        /* *index names the route; param holds the captured segment */
    FT_MATCH_NO_PATH,      /* 404: no route has this path */
    FT_MATCH_WRONG_METHOD, /* 405: the path exists with other methods, listed in allow */
};

#define FT_ROUTE_PARAM_MAX 64

struct ft_match {
    enum ft_match_result result;
    size_t index;
    char param[FT_ROUTE_PARAM_MAX]; /* "" when the route has no {…} */
    char allow[64];                 /* "GET, POST" for 405 */
};

/* Matches method and path (without query string) against routes[0..count). */
void ft_router_match(const struct ft_route *routes, size_t count, const char *method, const char *path,
                     struct ft_match *match);

#endif
