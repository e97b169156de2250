#include <criterion/criterion.h>
#include <string.h>

#include "ft/ids.h"
#include "router.h"

static const struct ft_route table[] = {
    { "GET", "/api/v1/concerts", NULL, FT_ACCESS_PUBLIC, false, false },
    { "POST", "/api/v1/concerts", NULL, FT_ACCESS_ADMIN, true, false },
    { "GET", "/api/v1/concerts/{id}", NULL, FT_ACCESS_PUBLIC, false, false },
    { "POST", "/api/v1/concerts/{id}/schedules", NULL, FT_ACCESS_ADMIN, true, false },
    { "GET", "/api/v1/seats/{scheduleId}", NULL, FT_ACCESS_PUBLIC, false, false },
    { "GET", "/api/v1/payments/{reservationId}", NULL, FT_ACCESS_USER, false, false },
    { "POST", "/api/v1/payments/prepare", NULL, FT_ACCESS_USER, true, true },
};
#define COUNT (sizeof table / sizeof table[0])

static struct ft_match match(const char *method, const char *path)
{
    struct ft_match m;
    ft_router_match(table, COUNT, method, path, &m);
    return m;
}

Test(router, exact_paths_match_by_method)
{
    struct ft_match m = match("GET", "/api/v1/concerts");
    cr_assert_eq(m.result, FT_MATCH_FOUND);
    cr_assert_eq(m.index, 0);
    m = match("POST", "/api/v1/concerts");
    cr_assert_eq(m.result, FT_MATCH_FOUND);
    cr_assert_eq(m.index, 1);
}

/* Asserts that method and path reach route `index`, with `param` captured. */
static void expect_found(const char *method, const char *path, size_t index, const char *param)
{
    struct ft_match m = match(method, path);
    cr_assert_eq(m.result, FT_MATCH_FOUND, "%s %s", method, path);
    cr_assert_eq(m.index, index, "%s %s", method, path);
    cr_assert_str_eq(m.param, param, "%s %s", method, path);
}

Test(router, a_template_captures_its_segment)
{
    expect_found("POST", "/api/v1/concerts/17/schedules", 3, "17");
    expect_found("GET", "/api/v1/seats/abc", 4, "abc"); /* the id check comes later, as 400 INVALID_ID */
}

Test(router, unknown_paths_are_404)
{
    const char *paths[] = { "/", "/api/v1/concert", "/api/v1/concerts/", "/api/v1/concerts//schedules",
                            "/api/v1/concerts/1/schedules/2", "/api/v1/seats", "/api/v1/seats/", "" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        cr_expect_eq(match("GET", paths[i]).result, FT_MATCH_NO_PATH, "matched '%s'", paths[i]);
}

Test(router, a_known_path_with_another_method_is_405_listing_the_methods)
{
    struct ft_match m = match("DELETE", "/api/v1/concerts");
    cr_assert_eq(m.result, FT_MATCH_WRONG_METHOD);
    cr_assert_str_eq(m.allow, "GET, HEAD, POST");
    m = match("PUT", "/api/v1/seats/3");
    cr_assert_eq(m.result, FT_MATCH_WRONG_METHOD);
    cr_assert_str_eq(m.allow, "GET, HEAD");
    m = match("PUT", "/api/v1/payments/prepare");
    cr_assert_eq(m.result, FT_MATCH_WRONG_METHOD);
    cr_assert_str_eq(m.allow, "POST");
}

Test(router, head_is_answered_by_the_get_route_and_by_no_other)
{
    expect_found("HEAD", "/api/v1/seats/3", 4, "3");
    expect_found("HEAD", "/api/v1/concerts", 0, "");
    cr_assert_eq(match("HEAD", "/api/v1/concerts/1/schedules").result, FT_MATCH_WRONG_METHOD, "POST only");
}

Test(router, a_literal_path_is_its_own_resource_before_a_template)
{
    struct ft_match m = match("GET", "/api/v1/payments/prepare");
    cr_assert_eq(m.result, FT_MATCH_WRONG_METHOD);
    cr_assert_str_eq(m.allow, "POST");
    m = match("POST", "/api/v1/payments/prepare");
    cr_assert_eq(m.result, FT_MATCH_FOUND);
    cr_assert_eq(m.index, 6);
    m = match("GET", "/api/v1/payments/42");
    cr_assert_eq(m.result, FT_MATCH_FOUND);
    cr_assert_eq(m.index, 5);
    cr_assert_str_eq(m.param, "42");
}

Test(router, an_overlong_segment_matches_cut_and_is_no_id)
{
    char path[200] = "/api/v1/seats/";
    memset(path + strlen(path), '9', 100);
    struct ft_match m = match("GET", path);
    cr_assert_eq(m.result, FT_MATCH_FOUND);
    cr_assert_eq(m.index, 4);
    cr_assert_eq(strlen(m.param), FT_ROUTE_PARAM_MAX - 1);
    int64_t id = 0;
    cr_assert_not(ft_parse_id(m.param, &id));
    strcat(path, "/more");
    cr_assert_eq(match("GET", path).result, FT_MATCH_NO_PATH);
}

Test(ids, only_positive_decimal_int64_values_are_ids)
{
    int64_t id = 0;
    cr_assert(ft_parse_id("1", &id));
    cr_assert_eq(id, 1);
    cr_assert(ft_parse_id("9223372036854775807", &id));
    cr_assert_eq(id, INT64_MAX);
    const char *bad[] = { "0", "-1", "+1", "1.0", "1e3", " 1", "1 ", "0x10", "", "9223372036854775808",
                          "99999999999999999999", "abc" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ft_parse_id(bad[i], &id), "accepted '%s'", bad[i]);
}
