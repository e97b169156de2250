#include <criterion/criterion.h>
#include <string.h>

#include "ft/config.h"

/* A fake environment: pairs of name and value, NULL-terminated. */
static const char *const *fake_env;

static const char *lookup(const char *name)
{
    for (const char *const *p = fake_env; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

static bool load(const char *const *env, unsigned needs, struct ft_config *config, char *err)
{
    fake_env = env;
    return ft_config_load(config, lookup, needs, err, 256);
}

#define STRONG "k3Jd9-Qm2_xV7pLz0aR5tY8uWc4bN6eH1sGf"

Test(config, defaults_apply_when_nothing_is_set)
{
    struct ft_config c;
    char err[256];
    const char *env[] = { NULL };
    cr_assert(load(env, 0, &c, err), "%s", err);
    cr_assert_eq(c.http_port, 8080);
    cr_assert_eq(c.http_max_body_bytes, 32768);
    cr_assert_str_eq(c.topic_commands, "ft.reservation-commands");
    cr_assert_eq(c.topic_partitions, 12);
    cr_assert_str_eq(c.log_level, "info");
}

Test(config, values_from_the_environment_win)
{
    struct ft_config c;
    char err[256];
    const char *env[] = { "FT_HTTP_PORT", "9090", "FT_DATABASE_URL", "postgresql://x@h/db", "FT_JWT_SECRET", STRONG, NULL };
    cr_assert(load(env, FT_CONFIG_NEED_JWT, &c, err), "%s", err);
    cr_assert_eq(c.http_port, 9090);
    cr_assert_str_eq(c.database_url, "postgresql://x@h/db");
    cr_assert_str_eq(c.jwt_secret, STRONG);
}

Test(config, strings_stay_strings_even_with_a_leading_zero)
{
    struct ft_config c;
    char err[256];
    /* The first version read an API key starting with 0 as an octal number. */
    const char *env[] = { "FT_KAFKA_BROKERS", "0123:0777", "FT_JWT_SECRET", "0" STRONG, NULL };
    cr_assert(load(env, FT_CONFIG_NEED_JWT, &c, err), "%s", err);
    cr_assert_str_eq(c.kafka_brokers, "0123:0777");
    cr_assert_str_eq(c.jwt_secret, "0" STRONG);
}

Test(config, portone_settings_arrive_as_the_exact_strings_given)
{
    struct ft_config c;
    char err[256];
    /* PortOne's REST API keys are digit strings; one that begins with 0 must not lose it. */
    const char *env[] = { "FT_PORTONE_BASE_URL", "http://127.0.0.1:18090", "FT_PORTONE_IMP_KEY", "0012345678901234",
                          "FT_PORTONE_IMP_SECRET", "00secret with spaces", NULL };
    cr_assert(load(env, 0, &c, err), "%s", err);
    cr_assert_str_eq(c.portone_base_url, "http://127.0.0.1:18090");
    cr_assert_str_eq(c.portone_imp_key, "0012345678901234");
    cr_assert_str_eq(c.portone_imp_secret, "00secret with spaces");
    cr_assert_eq(c.portone_timeout_ms, 5000);
}

Test(config, payments_are_off_when_portone_is_not_configured)
{
    struct ft_config c;
    char err[256];
    const char *env[] = { NULL };
    cr_assert(load(env, 0, &c, err), "%s", err);
    cr_assert_str_eq(c.portone_base_url, "");
    cr_assert_str_eq(c.portone_imp_key, "");
}

Test(config, the_page_checkout_settings_are_plain_words_or_empty)
{
    struct ft_config c;
    char err[256];
    const char *none[] = { NULL };
    cr_assert(load(none, 0, &c, err), "%s", err);
    cr_assert_str_eq(c.portone_merchant_code, "");
    cr_assert_str_eq(c.portone_pg, "");
    const char *set[] = { "FT_PORTONE_MERCHANT_CODE", "imp01234567", "FT_PORTONE_PG", "html5_inicis.INIpayTest", NULL };
    cr_assert(load(set, 0, &c, err), "%s", err);
    cr_assert_str_eq(c.portone_merchant_code, "imp01234567");
    cr_assert_str_eq(c.portone_pg, "html5_inicis.INIpayTest");
    /* they end up in a script's arguments: nothing that could be more than a name */
    static const char *const bad[] = { "imp 1234", "imp'1234", "imp\"1234", "imp<1234>", "imp/1234", "imp\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *code[] = { "FT_PORTONE_MERCHANT_CODE", bad[i], NULL };
        cr_assert_not(load(code, 0, &c, err), "accepted FT_PORTONE_MERCHANT_CODE=%s", bad[i]);
        cr_assert_not_null(strstr(err, "FT_PORTONE_MERCHANT_CODE"), "%s", err);
        const char *pg[] = { "FT_PORTONE_PG", bad[i], NULL };
        cr_assert_not(load(pg, 0, &c, err), "accepted FT_PORTONE_PG=%s", bad[i]);
        cr_assert_not_null(strstr(err, "FT_PORTONE_PG"), "%s", err);
    }
}

Test(config, malformed_and_out_of_range_numbers_are_refused_by_name)
{
    const char *bad[] = { "80x", "", " 80", "+80", "0", "65536", "08080.0", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_config c;
        char err[256] = "";
        const char *env[] = { "FT_HTTP_PORT", bad[i], NULL };
        cr_assert_not(load(env, 0, &c, err), "accepted FT_HTTP_PORT=%s", bad[i]);
        cr_assert(strstr(err, "FT_HTTP_PORT") != NULL, "error does not name the setting: %s", err);
    }
}

Test(config, the_jwt_secret_is_required_and_must_be_strong_where_tokens_are_used)
{
    struct ft_config c;
    char err[256];
    const char *missing[] = { NULL };
    cr_assert_not(load(missing, FT_CONFIG_NEED_JWT, &c, err));
    cr_assert(strstr(err, "FT_JWT_SECRET") != NULL);
    const char *short_one[] = { "FT_JWT_SECRET", "tooshort", NULL };
    cr_assert_not(load(short_one, FT_CONFIG_NEED_JWT, &c, err));
    const char *repetitive[] = { "FT_JWT_SECRET", "abababababababababababababababababab", NULL };
    cr_assert_not(load(repetitive, FT_CONFIG_NEED_JWT, &c, err));
    cr_assert(load(missing, 0, &c, err), "a tool without tokens needs no secret: %s", err);
}

Test(config, log_level_is_one_of_four)
{
    struct ft_config c;
    char err[256];
    const char *bad[] = { "FT_LOG_LEVEL", "verbose", NULL };
    cr_assert_not(load(bad, 0, &c, err));
    const char *good[] = { "FT_LOG_LEVEL", "debug", NULL };
    cr_assert(load(good, 0, &c, err));
    cr_assert_str_eq(c.log_level, "debug");
}

Test(config, an_overlong_string_is_refused_not_cut)
{
    struct ft_config c;
    char err[256];
    char long_url[FT_CONFIG_STR_MAX + 10];
    memset(long_url, 'x', sizeof long_url - 1);
    long_url[sizeof long_url - 1] = '\0';
    const char *env[] = { "FT_DATABASE_URL", long_url, NULL };
    cr_assert_not(load(env, 0, &c, err));
    cr_assert(strstr(err, "FT_DATABASE_URL") != NULL);
}
