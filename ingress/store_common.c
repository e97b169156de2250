#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"
#include "ft/log.h"
#include "store.h"

enum ft_store_result ft_store_failure(PGconn *db, const PGresult *res, const char *what)
{
    const char *state = ft_db_sqlstate(res);
    if (strcmp(state, "23505") == 0)
        return FT_STORE_CONFLICT;
    if (PQstatus(db) != CONNECTION_OK || strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0)
        return FT_STORE_UNAVAILABLE;
    const char *message = PQresultErrorMessage(res);
    ft_log_error("db.query_failed", "query=%s sqlstate=%s error=\"%.*s\"", what, state, (int)strcspn(message, "\n"),
                 message);
    return FT_STORE_FAILED;
}

enum ft_store_result ft_store_json_row(PGconn *db, const char *what, const char *sql, int nparams,
                                       const char *const *params, char **json)
{
    *json = NULL;
    PGresult *res = ft_db_query(db, sql, nparams, params);
    enum ft_store_result result = FT_STORE_OK;
    if (!ft_db_ok(res))
        result = ft_store_failure(db, res, what);
    else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
        result = FT_STORE_NOT_FOUND;
    else if ((*json = strdup(PQgetvalue(res, 0, 0))) == NULL)
        result = FT_STORE_FAILED;
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_json_by_id(PGconn *db, const char *what, const char *sql, int64_t id, char **json)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, id);
    const char *params[] = { text };
    return ft_store_json_row(db, what, sql, 1, params, json);
}
