/*
 * What a handler is given and what it fills in. The server (server.c) builds an
 * ft_request from libmicrohttpd's callbacks and turns the ft_response into bytes on the
 * wire; handlers never see libmicrohttpd.
 */
#ifndef FT_INGRESS_HTTP_TYPES_H
#define FT_INGRESS_HTTP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft/auth_token.h"

struct ft_app;

/* Who may call a route. */
enum ft_access {
    FT_ACCESS_PUBLIC, /* anyone */
    FT_ACCESS_USER,   /* a valid access token */
    FT_ACCESS_ADMIN,  /* a valid access token with role ADMIN, else 403 */
};

/* Looks up a query-string argument by name; NULL when absent. */
typedef const char *(*ft_query_lookup)(void *ctx, const char *name);

struct ft_request {
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; NULL when the request had none */
    size_t body_len;
    const char *request_id;
    int64_t path_id;                  /* the {id} of the route's path, when it has one */
    struct ft_token_claims caller;    /* valid when the route is not public */
    ft_query_lookup query;
    void *query_ctx;
};

/* One header a response may carry besides Content-Type and X-Request-Id. */
struct ft_response {
    int status;
    char *body;               /* malloc'd, owned by the response */
    const char *content_type; /* static string */
    char allow[64];           /* for 405: the methods the path takes */
    /* Set, instead of an answer, by the handler of a route that is not blocking when it
     * finds it must read PostgreSQL after all (a poll the registry cannot answer): the
     * server then runs this handler on the blocking pool (routes.c). */
    void (*then_blocking)(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
};

/* A client-visible failure: status, stable code, sentence, and the field at fault. */
struct ft_error {
    int status;
    const char *code;
    char message[200];
    char field[64];
};

typedef void (*ft_handler)(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

#endif
