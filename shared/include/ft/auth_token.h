/*
 * Access tokens: JWT signed with HS256, claims sub (user id as a decimal string), role,
 * iat and exp.
 *
 * libjwt 1.10 checks neither the algorithm nor exp by itself, and accepts alg=none when
 * no key is given: ft_token_verify always passes the key, then demands HS256, a valid
 * signature, a future exp and an iat that is not in the future.
 */
#ifndef FT_AUTH_TOKEN_H
#define FT_AUTH_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum ft_role { FT_ROLE_USER, FT_ROLE_ADMIN };

/* Longest token accepted; anything longer is refused before it is decoded. */
#define FT_TOKEN_MAX_LEN 2048
/* Clock skew tolerated on iat. */
#define FT_TOKEN_SKEW_SECONDS 60

struct ft_token_claims {
    int64_t user_id;
    enum ft_role role;
    time_t issued_at;
    time_t expires_at;
};

enum ft_token_result {
    FT_TOKEN_OK,
    FT_TOKEN_MALFORMED,     /* not a JWT, or its signature does not match the secret */
    FT_TOKEN_WRONG_ALG,     /* signed with anything but HS256 (none and HS512 included) */
    FT_TOKEN_EXPIRED,       /* exp missing or not in the future */
    FT_TOKEN_NOT_YET_VALID, /* iat or nbf in the future */
    FT_TOKEN_BAD_CLAIMS,    /* sub or role missing or malformed */
};

/* Name of a result for logs. */
const char *ft_token_result_name(enum ft_token_result result);
const char *ft_role_name(enum ft_role role);
/* Parses "USER" or "ADMIN"; false for anything else. */
bool ft_role_parse(const char *name, enum ft_role *out);

/*
 * Issues a token for user_id with role, valid from `now` for ttl_seconds. Returns a
 * malloc'd string the caller frees, or NULL when out of memory.
 */
__attribute__((warn_unused_result)) char *ft_token_issue(const char *secret, int64_t user_id, enum ft_role role,
                                                         time_t now, int ttl_seconds);

/* Verifies `token` against secret at time `now`; fills *claims only on FT_TOKEN_OK. */
__attribute__((warn_unused_result)) enum ft_token_result ft_token_verify(const char *secret, const char *token,
                                                                         time_t now, struct ft_token_claims *claims);

#endif
