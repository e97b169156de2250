#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/log.h"
#include "ft/password.h"
#include "handlers.h"
#include "json_body.h"
#include "response.h"
#include "validate.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 128

void ft_handle_signup(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_error err;
    json_t *body = NULL;
    const char *email, *password, *name;
    static const char *const members[] = { "email", "password", "name", NULL };
    if (!ft_body_object(req->body, req->body_len, members, &body, &err) ||
        !ft_body_string(body, "email", true, &email, &err) ||
        !ft_body_string(body, "password", true, &password, &err) ||
        !ft_body_string(body, "name", true, &name, &err) ||
        !ft_check_email(email, &err) ||
        !ft_check_length(password, "password", PASSWORD_MIN, PASSWORD_MAX, &err) ||
        !ft_check_length(name, "name", 1, 100, &err)) {
        json_decref(body);
        ft_respond_error(resp, &err);
        return;
    }
    /* Any "role" in the body is ignored: an admin is made by the operator tool only. */
    char hash[FT_PASSWORD_HASH_SIZE];
    if (!ft_password_hash(password, hash)) {
        json_decref(body);
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is out of memory; try again shortly");
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db != NULL) {
        char *json = NULL;
        enum ft_store_result result = ft_store_user_create(db, email, hash, name, &json);
        ft_db_release(app->db, db);
        if (result == FT_STORE_CONFLICT)
            ft_respond_fail(resp, 409, "EMAIL_TAKEN", "an account with this email already exists");
        else
            ft_respond_stored(resp, result, 201, json, "");
        if (result == FT_STORE_OK)
            ft_log_info("user.signup", "rid=%s", req->request_id);
    }
    json_decref(body);
}

void ft_handle_login(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    struct ft_error err;
    json_t *body = NULL;
    const char *email, *password;
    static const char *const members[] = { "email", "password", NULL };
    if (!ft_body_object(req->body, req->body_len, members, &body, &err) ||
        !ft_body_string(body, "email", true, &email, &err) ||
        !ft_body_string(body, "password", true, &password, &err)) {
        json_decref(body);
        ft_respond_error(resp, &err);
        return;
    }
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL) {
        json_decref(body);
        return;
    }
    int64_t user_id = 0;
    enum ft_role role = FT_ROLE_USER;
    char hash[FT_PASSWORD_HASH_SIZE];
    enum ft_store_result result = ft_store_user_credentials(db, email, &user_id, &role, hash, sizeof hash);
    ft_db_release(app->db, db);
    /* An unknown email costs the same hashing time and gets the same answer as a wrong
     * password, so that neither tells whether an account exists. */
    bool good = result == FT_STORE_OK ? ft_password_verify(password, hash)
                                      : ft_password_verify_nobody(password);
    json_decref(body);
    if (result != FT_STORE_OK && result != FT_STORE_NOT_FOUND) {
        ft_respond_stored(resp, result, 200, NULL, "");
        return;
    }
    if (!good) {
        ft_respond_fail(resp, 401, "INVALID_CREDENTIALS", "email or password is wrong");
        return;
    }
    char *token = ft_token_issue(app->config->jwt_secret, user_id, role, time(NULL), app->config->jwt_ttl_seconds);
    if (token == NULL) {
        ft_respond_fail(resp, 503, "UNAVAILABLE", "the server is out of memory; try again shortly");
        return;
    }
    ft_respond_json(resp, 200,
                    json_pack("{s:s, s:s, s:i}", "accessToken", token, "tokenType", "Bearer", "expiresIn",
                              app->config->jwt_ttl_seconds));
    free(token);
    ft_log_info("user.login", "rid=%s user=%lld", req->request_id, (long long)user_id);
}

void ft_handle_me(struct ft_app *app, const struct ft_request *req, struct ft_response *resp)
{
    PGconn *db = ft_handler_db(app, resp);
    if (db == NULL)
        return;
    char *json = NULL;
    enum ft_store_result result = ft_store_user_get(db, req->caller.user_id, &json);
    ft_db_release(app->db, db);
    if (result == FT_STORE_NOT_FOUND) {
        /* A valid signature for an account that no longer exists. */
        ft_respond_fail(resp, 401, "INVALID_TOKEN", "the account of this token does not exist");
        return;
    }
    ft_respond_stored(resp, result, 200, json, "");
}
