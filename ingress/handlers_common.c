#include <stdlib.h>

#include "handlers.h"
#include "response.h"

void ft_respond_pool_full(struct ft_response *resp)
{
    ft_respond_fail(resp, 503, "UNAVAILABLE", "too many requests are waiting for the database; try again shortly");
}

PGconn *ft_handler_db(struct ft_app *app, struct ft_response *resp)
{
    PGconn *db = ft_db_acquire(app->db, FT_DB_ACQUIRE_MS);
    if (db == NULL)
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the database is unavailable; try again shortly");
    return db;
}

void ft_respond_stored(struct ft_response *resp, enum ft_store_result result, int ok_status, char *json,
                       const char *not_found)
{
    switch (result) {
    case FT_STORE_OK:
        ft_respond_json_text(resp, ok_status, json);
        break;
    case FT_STORE_NOT_FOUND:
        ft_respond_fail(resp, 404, "NOT_FOUND", not_found);
        break;
    case FT_STORE_UNAVAILABLE:
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the database is unavailable; try again shortly");
        break;
    case FT_STORE_CONFLICT:
    case FT_STORE_FAILED:
        ft_respond_fail(resp, 500, "INTERNAL", "internal error");
        break;
    }
    free(json);
}
