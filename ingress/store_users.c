#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ft/db_pool.h"
#include "ft/ids.h"
#include "store.h"

#define USER_JSON \
    "json_build_object('id', id, 'email', email, 'name', name, 'role', role, 'createdAt', api_timestamp(created_at))"

enum ft_store_result ft_store_user_create(PGconn *db, const char *email, const char *password_hash,
                                          const char *name, char **json)
{
    const char *params[] = { email, password_hash, name };
    return ft_store_json_row(db, "user_create",
                             "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, 'USER') "
                             "RETURNING " USER_JSON,
                             3, params, json);
}

enum ft_store_result ft_store_user_get(PGconn *db, int64_t user_id, char **json)
{
    return ft_store_json_by_id(db, "user_get", "SELECT " USER_JSON " FROM users WHERE id = $1", user_id, json);
}

enum ft_store_result ft_store_user_credentials(PGconn *db, const char *email, int64_t *user_id,
                                               enum ft_role *role, char *hash, size_t hash_size)
{
    const char *params[] = { email };
    PGresult *res = ft_db_query(db, "SELECT id, role, password_hash FROM users WHERE lower(email) = lower($1)", 1,
                                params);
    enum ft_store_result result = FT_STORE_OK;
    if (!ft_db_ok(res))
        result = PQstatus(db) == CONNECTION_OK ? FT_STORE_FAILED : FT_STORE_UNAVAILABLE;
    else if (PQntuples(res) == 0)
        result = FT_STORE_NOT_FOUND;
    else if (!ft_parse_id(PQgetvalue(res, 0, 0), user_id) || !ft_role_parse(PQgetvalue(res, 0, 1), role) ||
             (size_t)PQgetlength(res, 0, 2) >= hash_size)
        result = FT_STORE_FAILED;
    else
        memcpy(hash, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2) + 1);
    PQclear(res);
    return result;
}

enum ft_store_result ft_store_admin_upsert(PGconn *db, const char *email, const char *password_hash,
                                           const char *name, int64_t *user_id)
{
    const char *params[] = { email, password_hash, name };
    char *json = NULL;
    enum ft_store_result result =
        ft_store_json_row(db, "admin_upsert",
                          "INSERT INTO users (email, password_hash, name, role) VALUES ($1, $2, $3, 'ADMIN') "
                          "ON CONFLICT ((lower(email))) DO UPDATE "
                          "SET password_hash = EXCLUDED.password_hash, role = 'ADMIN' "
                          "RETURNING to_json(id)",
                          3, params, &json);
    if (result == FT_STORE_OK) {
        if (!ft_parse_id(json, user_id))
            result = FT_STORE_FAILED;
        free(json);
    }
    return result;
}
