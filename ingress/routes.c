#include "routes.h"

#include "handlers.h"

/* Paths are written as in schemas/openapi.yaml; a test checks that both list the same.
 * Columns: method, path, handler, who may call, takes a JSON body, blocking (waits on
 * PortOne, hashes a password or reads PostgreSQL: runs on the blocking pool,
 * blocking_pool.h, so that an HTTP thread, which also serves the reservations and polls
 * of its other connections, never waits on any of them). A handler of a route that is
 * not blocking hands what it cannot answer from memory to the pool the same way
 * (ft_response.then_blocking): a poll of a token the registry does not hold. */
#define ROUTE_TABLE(X)                                                                                                 \
    X("POST", "/api/v1/users/signup", ft_handle_signup, FT_ACCESS_PUBLIC, true, true)                                  \
    X("POST", "/api/v1/users/login", ft_handle_login, FT_ACCESS_PUBLIC, true, true)                                    \
    X("GET", "/api/v1/users/me", ft_handle_me, FT_ACCESS_USER, false, true)                                            \
    X("GET", "/api/v1/concerts", ft_handle_concert_list, FT_ACCESS_PUBLIC, false, true)                                \
    X("POST", "/api/v1/concerts", ft_handle_concert_create, FT_ACCESS_ADMIN, true, true)                               \
    X("GET", "/api/v1/concerts/{id}", ft_handle_concert_get, FT_ACCESS_PUBLIC, false, true)                            \
    X("POST", "/api/v1/concerts/{id}/schedules", ft_handle_schedule_create_cached, FT_ACCESS_ADMIN, true, true)        \
    X("POST", "/api/v1/venues", ft_handle_venue_create, FT_ACCESS_ADMIN, true, true)                                   \
    X("GET", "/api/v1/seats/{scheduleId}", ft_handle_seat_map, FT_ACCESS_PUBLIC, false, true)                          \
    X("POST", "/api/v1/reservations", ft_handle_reservation_create, FT_ACCESS_USER, true, false)                       \
    X("GET", "/api/v1/reservations/requests/{token}", ft_handle_reservation_request_get, FT_ACCESS_USER, false, false) \
    X("GET", "/api/v1/reservations/my", ft_handle_my_reservations, FT_ACCESS_USER, false, true)                        \
    X("DELETE", "/api/v1/reservations/{id}", ft_handle_reservation_cancel, FT_ACCESS_USER, false, false)               \
    X("POST", "/api/v1/payments/prepare", ft_handle_payment_prepare, FT_ACCESS_USER, true, true)                       \
    X("POST", "/api/v1/payments", ft_handle_payment_confirm, FT_ACCESS_USER, true, true)                               \
    X("GET", "/api/v1/payments/{reservationId}", ft_handle_payment_get, FT_ACCESS_USER, false, true)                   \
    X("POST", "/api/v1/payments/webhook", ft_handle_payment_webhook, FT_ACCESS_PUBLIC, true, true)                     \
    X("GET", "/healthz", ft_handle_healthz, FT_ACCESS_PUBLIC, false, false)                                            \
    X("GET", "/readyz", ft_handle_readyz, FT_ACCESS_PUBLIC, false, true)                                               \
    X("GET", "/metrics", ft_handle_metrics_with_pipeline, FT_ACCESS_PUBLIC, false, false)

#define AS_ROUTE(method, path, handler, access, body, blocking) { method, path, handler, access, body, blocking },
#define AS_PATH(method, path, handler, access, body, blocking) path,

const struct ft_route ft_routes[] = { ROUTE_TABLE(AS_ROUTE) };
const size_t ft_route_count = sizeof ft_routes / sizeof ft_routes[0];
const char *const ft_route_paths[] = { ROUTE_TABLE(AS_PATH) };
