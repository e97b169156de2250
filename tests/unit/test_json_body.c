#include <criterion/criterion.h>
#include <string.h>

#include "json_body.h"

static json_t *parse_ok(const char *text)
{
    json_t *doc = NULL;
    struct ft_error err;
    cr_assert(ft_body_object(text, strlen(text), NULL, &doc, &err), "refused %s: %s", text, err.message);
    return doc;
}

static void expect_refused(const char *text, size_t len, int status, const char *code)
{
    json_t *doc = NULL;
    struct ft_error err;
    cr_expect_not(ft_body_object(text, len, NULL, &doc, &err), "accepted %s", text ? text : "(null)");
    cr_expect_eq(err.status, status);
    cr_expect_str_eq(err.code, code, "body %s gave %s", text ? text : "(null)", err.code);
    cr_expect_null(doc);
}

Test(json_body, structure_faults_are_400_with_their_code)
{
    expect_refused(NULL, 0, 400, "MALFORMED_JSON");
    expect_refused("", 0, 400, "MALFORMED_JSON");
    expect_refused("{\"email\":", 9, 400, "MALFORMED_JSON");                /* truncated */
    expect_refused("{email: 1}", 10, 400, "MALFORMED_JSON");                /* not JSON */
    expect_refused("{\"a\":1,\"a\":2}", 13, 400, "MALFORMED_JSON");       /* duplicate key */
    expect_refused("[1,2]", 5, 400, "INVALID_TYPE");                        /* not an object */
    expect_refused("\"text\"", 6, 400, "INVALID_TYPE");
    expect_refused("{\"a\":\"x\\u0000y\"}", 16, 400, "MALFORMED_JSON");   /* NUL inside a string */
}

Test(json_body, typed_fields_refuse_other_types)
{
    json_t *doc = parse_ok("{\"s\":\"x\",\"i\":5,\"f\":5.0,\"b\":true,\"n\":null,\"q\":\"5\",\"a\":[1]}");
    struct ft_error err;
    const char *s = NULL;
    int64_t i = 0;
    const json_t *a = NULL;
    cr_assert(ft_body_string(doc, "s", true, &s, &err));
    cr_assert_str_eq(s, "x");
    cr_assert(ft_body_integer(doc, "i", &i, &err));
    cr_assert_eq(i, 5);
    cr_assert(ft_body_array(doc, "a", &a, &err));

    cr_assert_not(ft_body_integer(doc, "f", &i, &err));
    cr_assert_str_eq(err.code, "INVALID_TYPE");
    cr_assert_str_eq(err.field, "f");
    cr_assert_not(ft_body_integer(doc, "q", &i, &err));
    cr_assert_not(ft_body_integer(doc, "b", &i, &err));
    cr_assert_not(ft_body_string(doc, "i", true, &s, &err));
    cr_assert_str_eq(err.code, "INVALID_TYPE");
    cr_assert_not(ft_body_array(doc, "s", &a, &err));
    json_decref(doc);
}

Test(json_body, absent_and_null_are_missing_when_required)
{
    json_t *doc = parse_ok("{\"n\":null}");
    struct ft_error err;
    const char *s = "unchanged";
    int64_t i = 0;
    cr_assert_not(ft_body_string(doc, "n", true, &s, &err));
    cr_assert_str_eq(err.code, "MISSING_FIELD");
    cr_assert_str_eq(err.field, "n");
    cr_assert_not(ft_body_integer(doc, "absent", &i, &err));
    cr_assert_str_eq(err.code, "MISSING_FIELD");
    cr_assert(ft_body_string(doc, "n", false, &s, &err));
    cr_assert_null(s);
    json_decref(doc);
}

static const char *const pair[] = { "email", "password", NULL };

Test(json_body, a_member_the_body_does_not_take_is_named)
{
    json_t *doc = NULL;
    struct ft_error err;
    const char *text = "{\"email\":\"a@b.c\",\"password\":\"x\",\"remember\":true,\"also\":1}";
    cr_assert_not(ft_body_object(text, strlen(text), pair, &doc, &err));
    cr_assert_null(doc);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.code, "UNKNOWN_FIELD");
    cr_assert_str_eq(err.field, "remember"); /* the first, in the body's order */
    cr_assert_str_eq(err.message, "field 'remember' is not one of email, password");

    /* Fewer members than listed, or none, is the getters' business; any members without a list. */
    const char *fewer = "{\"email\":\"a@b.c\"}";
    cr_assert(ft_body_object(fewer, strlen(fewer), pair, &doc, &err), "%s", err.message);
    json_decref(doc);
    cr_assert(ft_body_object("{}", 2, pair, &doc, &err));
    json_decref(doc);
    cr_assert(ft_body_object(text, strlen(text), NULL, &doc, &err));
    cr_assert(ft_body_members_known(doc, (const char *const[]){ "email", "password", "remember", "also", NULL }, &err));
    cr_assert_not(ft_body_members_known(doc, pair, &err));
    json_decref(doc);
}

Test(json_body, a_long_unknown_name_is_cut_between_characters)
{
    /* 40 two-byte characters: 80 bytes, more than the field holds. */
    char text[200] = "{\"";
    for (int i = 0; i < 40; i++)
        strcat(text, "\xc3\xa9");
    strcat(text, "\":1}");
    json_t *doc = NULL;
    struct ft_error err;
    cr_assert_not(ft_body_object(text, strlen(text), pair, &doc, &err));
    cr_assert_str_eq(err.code, "UNKNOWN_FIELD");
    size_t len = strlen(err.field);
    cr_assert(len > 0 && len < sizeof err.field && len % 2 == 0, "cut at %zu bytes", len);
    json_t *answer = json_string(err.field); /* NULL for a split UTF-8 sequence */
    cr_assert_not_null(answer);
    json_decref(answer);
    cr_assert_not_null(strstr(err.message, err.field));
}
