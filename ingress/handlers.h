/*
 * The route handlers, one file per area: handlers_users.c (accounts),
 * handlers_catalog.c (public catalog reads), handlers_admin.c (catalog writes),
 * handlers_ops.c (health, readiness, metrics), handlers_reservations.c (reservation
 * requests and their polling tokens), handlers_owner.c (a buyer's own reservations),
 * handlers_payments.c (PortOne payments). The table that binds them to paths is routes.c.
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

/* POST /api/v1/reservations: answered later (exchange.h), once Kafka has the command. */
void ft_handle_reservation_create(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
/* GET /api/v1/reservations/requests/{token} */
void ft_handle_reservation_request_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
/* ft_handle_schedule_create, then the new schedule into the in-memory catalog. */
void ft_handle_schedule_create_cached(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
/* ft_handle_metrics, followed by the reservation pipeline's metrics. */
void ft_handle_metrics_with_pipeline(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

void ft_handle_my_reservations(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_reservation_cancel(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

/* Payments through PortOne (handlers_payments.c). */
void ft_handle_payment_prepare(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_payment_confirm(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_payment_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_payment_webhook(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

void ft_handle_healthz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_readyz(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);
void ft_handle_metrics(struct ft_app *app, const struct ft_request *req, struct ft_response *resp);

/* The 503 for work the blocking pool could not take (ft_async_run_blocking said false). */
void ft_respond_pool_full(struct ft_response *resp);

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
