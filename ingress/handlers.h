/*
 * The route handlers, one file per area: handlers_users.c (accounts),
 * handlers_catalog.c (public catalog reads), handlers_admin.c (catalog writes),
 * handlers_ops.c (health, readiness, metrics). The table that binds them to paths is
 * routes.c.
 */
#ifndef FT_INGRESS_HANDLERS_H
#define FT_INGRESS_HANDLERS_H

#include "app.h"
#include "http_types.h"
#include "store.h"

void ft_handle_signup(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_login(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_me(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

void ft_handle_concert_list(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_concert_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_seat_map(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

void ft_handle_venue_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_concert_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_schedule_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

void ft_handle_healthz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_readyz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_metrics(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

/* Takes a database connection, or answers 503 UNAVAILABLE and returns NULL. */
PGconn *ft_handler_db(struct ft_app *app, struct ft_response *resp);

/*
 * Answers from a store result: OK → ok_status with the JSON text; NOT_FOUND → 404 with
 * not_found; UNAVAILABLE → 503; FAILED → 500. CONFLICT must be handled by the caller.
 * Frees json.
 */
void ft_respond_stored(struct ft_response *resp, enum ft_store_result result, int ok_status, char *json,
                       const char *not_found);

#endif
