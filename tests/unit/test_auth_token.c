#include <criterion/criterion.h>
#include <jwt.h>
#include <stdlib.h>
#include <string.h>

#include "ft/auth_token.h"

#define SECRET "k3Jd9-Qm2_xV7pLz0aR5tY8uWc4bN6eH1sGf"
#define NOW ((time_t)1790000000)

/* Signs arbitrary claims with libjwt, as a forger with (or without) the secret would. */
static char *forge(jwt_alg_t alg, const char *key, const char *sub, const char *role, long iat, long exp)
{
    jwt_t *jwt = NULL;
    cr_assert_eq(jwt_new(&jwt), 0);
    cr_assert_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0), 0);
    if (sub)
        jwt_add_grant(jwt, "sub", sub);
    if (role)
        jwt_add_grant(jwt, "role", role);
    if (iat)
        jwt_add_grant_int(jwt, "iat", iat);
    if (exp)
        jwt_add_grant_int(jwt, "exp", exp);
    char *token = jwt_encode_str(jwt);
    jwt_free(jwt);
    cr_assert_not_null(token);
    return token;
}

static enum ft_token_result verify(const char *token)
{
    struct ft_token_claims claims;
    return ft_token_verify(SECRET, token, NOW, &claims);
}

Test(auth_token, an_issued_token_verifies_with_its_claims)
{
    char *token = ft_token_issue(SECRET, 42, FT_ROLE_ADMIN, NOW, 3600);
    struct ft_token_claims claims;
    cr_assert_eq(ft_token_verify(SECRET, token, NOW + 10, &claims), FT_TOKEN_OK);
    cr_assert_eq(claims.user_id, 42);
    cr_assert_eq(claims.role, FT_ROLE_ADMIN);
    cr_assert_eq(claims.expires_at, NOW + 3600);
    free(token);
}

Test(auth_token, a_token_expires_at_exp)
{
    char *token = ft_token_issue(SECRET, 7, FT_ROLE_USER, NOW, 60);
    struct ft_token_claims claims;
    cr_assert_eq(ft_token_verify(SECRET, token, NOW + 59, &claims), FT_TOKEN_OK);
    cr_assert_eq(ft_token_verify(SECRET, token, NOW + 60, &claims), FT_TOKEN_EXPIRED);
    free(token);
}

struct reject_case {
    const char *what;
    jwt_alg_t alg;
    const char *key;
    const char *sub, *role;
    long iat, exp;
    enum ft_token_result expected;
};

Test(auth_token, the_reject_table)
{
    const struct reject_case cases[] = {
        { "other secret", JWT_ALG_HS256, "another-secret-of-enough-length-1234567", "1", "USER", NOW, NOW + 60, FT_TOKEN_MALFORMED },
        /* With a key given, libjwt refuses an unsigned token while decoding. */
        { "alg none", JWT_ALG_NONE, NULL, "1", "ADMIN", NOW, NOW + 60, FT_TOKEN_MALFORMED },
        { "HS512 with the right secret", JWT_ALG_HS512, SECRET, "1", "USER", NOW, NOW + 60, FT_TOKEN_WRONG_ALG },
        { "HS384 with the right secret", JWT_ALG_HS384, SECRET, "1", "USER", NOW, NOW + 60, FT_TOKEN_WRONG_ALG },
        { "expired", JWT_ALG_HS256, SECRET, "1", "USER", NOW - 7200, NOW - 3600, FT_TOKEN_EXPIRED },
        { "no exp", JWT_ALG_HS256, SECRET, "1", "USER", NOW, 0, FT_TOKEN_EXPIRED },
        { "issued in the future", JWT_ALG_HS256, SECRET, "1", "USER", NOW + 3600, NOW + 7200, FT_TOKEN_NOT_YET_VALID },
        { "no iat", JWT_ALG_HS256, SECRET, "1", "USER", 0, NOW + 60, FT_TOKEN_BAD_CLAIMS },
        { "no sub", JWT_ALG_HS256, SECRET, NULL, "USER", NOW, NOW + 60, FT_TOKEN_BAD_CLAIMS },
        { "sub not a number", JWT_ALG_HS256, SECRET, "admin", "USER", NOW, NOW + 60, FT_TOKEN_BAD_CLAIMS },
        { "negative sub", JWT_ALG_HS256, SECRET, "-1", "USER", NOW, NOW + 60, FT_TOKEN_BAD_CLAIMS },
        { "unknown role", JWT_ALG_HS256, SECRET, "1", "ROOT", NOW, NOW + 60, FT_TOKEN_BAD_CLAIMS },
        { "no role", JWT_ALG_HS256, SECRET, "1", NULL, NOW, NOW + 60, FT_TOKEN_BAD_CLAIMS },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *token = forge(cases[i].alg, cases[i].key, cases[i].sub, cases[i].role, cases[i].iat, cases[i].exp);
        enum ft_token_result got = verify(token);
        cr_expect_eq(got, cases[i].expected, "%s: got %s, expected %s", cases[i].what, ft_token_result_name(got),
                     ft_token_result_name(cases[i].expected));
        free(token);
    }
}

Test(auth_token, garbage_is_malformed)
{
    const char *garbage[] = { "", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "....." };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        cr_expect_eq(verify(garbage[i]), FT_TOKEN_MALFORMED, "accepted '%s'", garbage[i]);
    cr_expect_eq(verify(NULL), FT_TOKEN_MALFORMED);
}

Test(auth_token, a_tampered_payload_fails_the_signature)
{
    char *token = ft_token_issue(SECRET, 5, FT_ROLE_USER, NOW, 3600);
    char *dot = strchr(token, '.');
    cr_assert_not_null(dot);
    dot[3] = dot[3] == 'A' ? 'B' : 'A'; /* flip one character of the payload */
    cr_expect_neq(verify(token), FT_TOKEN_OK);
    free(token);
}

Test(auth_token, an_oversized_token_is_refused_before_decoding)
{
    char *huge = malloc(FT_TOKEN_MAX_LEN + 2);
    memset(huge, 'a', FT_TOKEN_MAX_LEN + 1);
    huge[FT_TOKEN_MAX_LEN + 1] = '\0';
    cr_expect_eq(verify(huge), FT_TOKEN_MALFORMED);
    free(huge);
}
