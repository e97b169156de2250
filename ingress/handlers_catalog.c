#include <time.h>

#include "ft/clock.h"
#include "ft/ids.h"
#include "handlers.h"
#include "seat_map_cache.h"
#include "response.h"

#define PAGE_MAX 1000000
#define PAGE_SIZE_DEFAULT 20
#define PAGE_SIZE_MAX 100

/* Reads an optional non-negative query integer within [min, max]. */
static bool query_number(const struct ft_request *req, const char *name, int64_t fallback, int64_t min,
                         int64_t max, int64_t *out)
{
    const char *text = req->query(req->query_ctx, name);
    if (text == NULL) {
        *out = fallback;
        return true;
    }
    int64_t value = 0;
    if (text[0] == '0' && text[1] == '\0')
        value = 0;
    else if (!ft_parse_id(text, &value))
        return false;
    if (value < min || value > max)
        return false;
    *out = value;
    return true;
}

void ft_handle_concert_list(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    int64_t page = 0, size = 0;
    if (!query_number(req, "page", 0, 0, PAGE_MAX, &page) ||
        !query_number(req, "size", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX, &size)) {
        ft_respond_fail(resp, 400, "INVALID_QUERY", "page must be 0 to 1000000 and size 1 to 100");
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_concert_page(db, page, size, &json);
    ft_db_release(app->db, db);
    ft_respond_stored(resp, result, 200, json, "");
}

void ft_handle_concert_get(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_concert_get(db, req->path_id, &json);
    ft_db_release(app->db, db);
    ft_respond_stored(resp, result, 200, json, "no concert has this id");
}

void ft_handle_seat_map(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    bool claimed = false;
    char *kept = ft_seat_map_cache_get(app->seat_maps, req->path_id, ft_clock_monotonic_ms(), &claimed);
    if (kept != NULL) {
        ft_respond_stored(resp, FT_STORE_OK, 200, kept, "");
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL) {
        if (claimed)
            ft_seat_map_cache_abandon(app->seat_maps, req->path_id);
        return;
    }
    char *json = NULL;
    int64_t read_at = ft_clock_monotonic_ms();
    enum ft_store_result result = ft_store_seat_map(db, req->path_id, &json);
    ft_db_release(app->db, db);
    if (result == FT_STORE_OK)
        ft_seat_map_cache_put(app->seat_maps, req->path_id, json, read_at);
    else if (claimed)
        ft_seat_map_cache_abandon(app->seat_maps, req->path_id);
    ft_respond_stored(resp, result, 200, json, "no schedule has this id");
}
