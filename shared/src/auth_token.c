#include "ft/auth_token.h"

#include "ft/ids.h"

#include <errno.h>
#include <inttypes.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ft_token_result_name(enum ft_token_result result)
{
    switch (result) {
    case FT_TOKEN_OK: return "ok";
    case FT_TOKEN_MALFORMED: return "malformed";
    case FT_TOKEN_WRONG_ALG: return "wrong_alg";
    case FT_TOKEN_EXPIRED: return "expired";
    case FT_TOKEN_NOT_YET_VALID: return "not_yet_valid";
    case FT_TOKEN_BAD_CLAIMS: return "bad_claims";
    }
    return "unknown";
}

const char *ft_role_name(enum ft_role role)
{
    return role == FT_ROLE_ADMIN ? "ADMIN" : "USER";
}

bool ft_role_parse(const char *name, enum ft_role *out)
{
    if (name != NULL && strcmp(name, "USER") == 0) {
        *out = FT_ROLE_USER;
        return true;
    }
    if (name != NULL && strcmp(name, "ADMIN") == 0) {
        *out = FT_ROLE_ADMIN;
        return true;
    }
    return false;
}

char *ft_token_issue(const char *secret, int64_t user_id, enum ft_role role, time_t now, int ttl_seconds)
{
    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return NULL;
    char sub[24];
    snprintf(sub, sizeof sub, "%" PRId64, user_id);
    char *token = NULL;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)) == 0 &&
        jwt_add_grant(jwt, "sub", sub) == 0 && jwt_add_grant(jwt, "role", ft_role_name(role)) == 0 &&
        jwt_add_grant_int(jwt, "iat", (long)now) == 0 &&
        jwt_add_grant_int(jwt, "exp", (long)now + ttl_seconds) == 0)
        token = jwt_encode_str(jwt);
    jwt_free(jwt);
    return token;
}

/* Reads an integer claim; false when it is absent or not an integer. */
static bool int_claim(jwt_t *jwt, const char *name, long *out)
{
    errno = 0;
    long value = jwt_get_grant_int(jwt, name);
    if (errno != 0)
        return false;
    *out = value;
    return true;
}

static enum ft_token_result check_claims(jwt_t *jwt, time_t now, struct ft_token_claims *claims)
{
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        return FT_TOKEN_WRONG_ALG;
    long exp = 0, iat = 0, nbf = 0;
    if (!int_claim(jwt, "exp", &exp) || exp <= (long)now)
        return FT_TOKEN_EXPIRED;
    if (!int_claim(jwt, "iat", &iat))
        return FT_TOKEN_BAD_CLAIMS;
    if (iat > (long)now + FT_TOKEN_SKEW_SECONDS)
        return FT_TOKEN_NOT_YET_VALID;
    if (int_claim(jwt, "nbf", &nbf) && nbf > (long)now + FT_TOKEN_SKEW_SECONDS)
        return FT_TOKEN_NOT_YET_VALID;
    struct ft_token_claims found = { .issued_at = (time_t)iat, .expires_at = (time_t)exp };
    if (!ft_parse_id(jwt_get_grant(jwt, "sub"), &found.user_id) ||
        !ft_role_parse(jwt_get_grant(jwt, "role"), &found.role))
        return FT_TOKEN_BAD_CLAIMS;
    *claims = found;
    return FT_TOKEN_OK;
}

enum ft_token_result ft_token_verify(const char *secret, const char *token, time_t now, struct ft_token_claims *claims)
{
    if (token == NULL || token[0] == '\0' || strlen(token) > FT_TOKEN_MAX_LEN)
        return FT_TOKEN_MALFORMED;
    jwt_t *jwt = NULL;
    /* The key is always given: without it libjwt skips the signature check. */
    if (jwt_decode(&jwt, token, (const unsigned char *)secret, (int)strlen(secret)) != 0 || jwt == NULL)
        return FT_TOKEN_MALFORMED;
    enum ft_token_result result = check_claims(jwt, now, claims);
    jwt_free(jwt);
    return result;
}
