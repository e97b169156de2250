/* The buyer's page (static_files.h): which paths are the page's, which names are served,
 * and that no request reaches a file outside the root, symbolic links included. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static_files.h"

static enum ft_static_name name_of(const char *path, char name[FT_STATIC_NAME_MAX])
{
    return ft_static_file_name(path, name);
}

Test(static_files, the_page_is_slash_and_the_web_folder)
{
    cr_assert(ft_static_claims("/"));
    cr_assert(ft_static_claims("/web/app.js"));
    cr_assert(ft_static_claims("/web/.."));
    cr_assert_not(ft_static_claims("/web/"));
    cr_assert_not(ft_static_claims("/web/../etc/passwd"));
    cr_assert_not(ft_static_claims("/web/sub/app.js"));
    cr_assert_not(ft_static_claims("/web"));
    cr_assert_not(ft_static_claims("/webx/a.js"));
    cr_assert_not(ft_static_claims("/index.html"));
    cr_assert_not(ft_static_claims("/api/v1/concerts"));
    cr_assert_not(ft_static_claims(""));
}

Test(static_files, slash_is_index_html_and_a_plain_name_is_itself)
{
    char name[FT_STATIC_NAME_MAX];
    cr_assert_eq(name_of("/", name), FT_STATIC_NAME_OK);
    cr_assert_str_eq(name, "index.html");
    cr_assert_eq(name_of("/web/app.js", name), FT_STATIC_NAME_OK);
    cr_assert_str_eq(name, "app.js");
    cr_assert_eq(name_of("/web/lang-ko.js", name), FT_STATIC_NAME_OK);
    cr_assert_str_eq(name, "lang-ko.js");
    cr_assert_eq(name_of("/web/Seat_map.v2.css", name), FT_STATIC_NAME_OK);
    cr_assert_eq(name_of("/api/v1/concerts", name), FT_STATIC_NAME_NOT_PAGE);
    /* more than one segment is no path of the page (the router answers ROUTE_NOT_FOUND) */
    cr_assert_eq(name_of("/web/", name), FT_STATIC_NAME_NOT_PAGE);
    cr_assert_eq(name_of("/web/a/../../b", name), FT_STATIC_NAME_NOT_PAGE);
    cr_assert_eq(name_of("/web/sub/app.js", name), FT_STATIC_NAME_NOT_PAGE);
    cr_assert_eq(name_of("/web//etc/passwd", name), FT_STATIC_NAME_NOT_PAGE);
}

Test(static_files, a_segment_that_is_not_a_plain_name_is_refused)
{
    static const char *const bad[] = {
        "/web/..",           /* up */
        "/web/.env",         /* hidden */
        "/web/.",            /* the folder itself */
        "/web/-rf",          /* not a letter or digit first */
        "/web/a..b.js",      /* ".." anywhere */
        "/web/a\\b.js",      /* backslash */
        "/web/a%2fb.js",     /* an escape left undecoded */
        "/web/a b.js",       /* space */
        "/web/a\tb.js",      /* control byte */
        "/web/caf\xc3\xa9.js", /* not ASCII */
    };
    char name[FT_STATIC_NAME_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(name_of(bad[i], name), FT_STATIC_NAME_BAD, "%s", bad[i]);
        cr_assert_str_empty(name, "%s", bad[i]);
    }
    char long_path[FT_STATIC_NAME_MAX + 16] = "/web/";
    memset(long_path + 5, 'a', FT_STATIC_NAME_MAX);
    long_path[5 + FT_STATIC_NAME_MAX] = '\0';
    cr_assert_eq(name_of(long_path, name), FT_STATIC_NAME_BAD);
    long_path[5 + FT_STATIC_NAME_MAX - 1] = '\0'; /* FT_STATIC_NAME_MAX - 1 characters fit */
    cr_assert_eq(name_of(long_path, name), FT_STATIC_NAME_OK);
}

Test(static_files, content_types_by_extension_and_unknown_ones_are_not_served)
{
    cr_assert_str_eq(ft_static_content_type("index.html"), "text/html; charset=utf-8");
    cr_assert_str_eq(ft_static_content_type("app.js"), "text/javascript; charset=utf-8");
    cr_assert_str_eq(ft_static_content_type("style.CSS"), "text/css; charset=utf-8");
    cr_assert_str_eq(ft_static_content_type("config.json"), "application/json");
    cr_assert_str_eq(ft_static_content_type("logo.svg"), "image/svg+xml");
    cr_assert_null(ft_static_content_type("README"));
    cr_assert_null(ft_static_content_type("backup.html.bak"));
    cr_assert_null(ft_static_content_type("server.c"));
}

Test(static_files, inside_means_strictly_below_the_root)
{
    cr_assert(ft_static_inside("/srv/web", "/srv/web/app.js"));
    cr_assert(ft_static_inside("/srv/web", "/srv/web/sub/app.js"));
    cr_assert_not(ft_static_inside("/srv/web", "/srv/web"));
    cr_assert_not(ft_static_inside("/srv/web", "/srv/web/"));
    cr_assert_not(ft_static_inside("/srv/web", "/srv/webx/app.js"));
    cr_assert_not(ft_static_inside("/srv/web", "/srv/we"));
    cr_assert_not(ft_static_inside("/srv/web", "/etc/passwd"));
    cr_assert_not(ft_static_inside("", "/etc/passwd"));
    cr_assert(ft_static_inside("/", "/etc"));
    cr_assert_not(ft_static_inside("/", "/"));
}

Test(static_files, if_none_match_compares_weakly_and_knows_lists_and_star)
{
    const char *tag = "W/\"1f-abc\"";
    cr_assert(ft_static_etag_matches("W/\"1f-abc\"", tag));
    cr_assert(ft_static_etag_matches("\"1f-abc\"", tag));
    cr_assert(ft_static_etag_matches("\"x\", W/\"1f-abc\"", tag));
    cr_assert(ft_static_etag_matches("*", tag));
    cr_assert_not(ft_static_etag_matches("\"1f-abd\"", tag));
    cr_assert_not(ft_static_etag_matches("", tag));
    cr_assert_not(ft_static_etag_matches(NULL, tag));
    cr_assert_not(ft_static_etag_matches("W/\"1f-ab\"", tag));
}

/* The checkout of base_url alone, or with a merchant code. */
static enum ft_static_checkout checkout_of(const char *base_url, const char *merchant_code, char *origin,
                                           size_t origin_size)
{
    const struct ft_static_payments payments = { .base_url = base_url, .merchant_code = merchant_code };
    return ft_static_checkout_of(&payments, origin, origin_size);
}

Test(static_files, without_a_merchant_code_the_checkout_is_the_imitation_on_loopback_or_none)
{
    char origin[128];
    cr_assert_eq(checkout_of("", NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_eq(checkout_of(NULL, NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_eq(checkout_of("http://127.0.0.1:8090", NULL, origin, sizeof origin), FT_CHECKOUT_IMITATION);
    cr_assert_str_eq(origin, "http://127.0.0.1:8090");
    cr_assert_eq(checkout_of("http://localhost:9/x/", "", origin, sizeof origin), FT_CHECKOUT_IMITATION);
    cr_assert_str_eq(origin, "http://localhost:9");
    cr_assert_eq(checkout_of("http://[::1]:8090", NULL, origin, sizeof origin), FT_CHECKOUT_IMITATION);
    cr_assert_str_eq(origin, "http://[::1]:8090");
    /* PortOne itself, but nothing to open its checkout with */
    cr_assert_eq(checkout_of("https://api.iamport.kr", NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_str_empty(origin);
    cr_assert_eq(checkout_of("http://127.0.0.1.example.com", NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_eq(checkout_of("http://localhost.example.com:80", NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_eq(checkout_of("ftp://127.0.0.1", NULL, origin, sizeof origin), FT_CHECKOUT_OFF);
}

Test(static_files, a_merchant_code_chooses_portones_sdk_wherever_the_server_verifies)
{
    char origin[128];
    cr_assert_eq(checkout_of("https://api.iamport.kr", "imp12345678", origin, sizeof origin), FT_CHECKOUT_PORTONE);
    cr_assert_str_empty(origin);
    cr_assert_eq(checkout_of("http://127.0.0.1:8090", "imp12345678", origin, sizeof origin), FT_CHECKOUT_PORTONE);
    cr_assert_str_empty(origin);
    /* no PortOne for the server to verify with: nothing to pay with either */
    cr_assert_eq(checkout_of("", "imp12345678", origin, sizeof origin), FT_CHECKOUT_OFF);
    cr_assert_str_eq(ft_static_checkout_name(FT_CHECKOUT_OFF), "off");
    cr_assert_str_eq(ft_static_checkout_name(FT_CHECKOUT_IMITATION), "imitation");
    cr_assert_str_eq(ft_static_checkout_name(FT_CHECKOUT_PORTONE), "portone");
}

/* A page folder with a file, a sub-folder, a link inside and links that lead out. */
struct fixture {
    char dir[64];
    char root[80]; /* dir + "/web" */
};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void make_fixture(struct fixture *fx)
{
    snprintf(fx->dir, sizeof fx->dir, "/tmp/ft-static-XXXXXX");
    cr_assert_not_null(mkdtemp(fx->dir));
    char path[PATH_MAX];
    snprintf(fx->root, sizeof fx->root, "%s/web", fx->dir);
    cr_assert_eq(mkdir(fx->root, 0755), 0);
    snprintf(path, sizeof path, "%s/index.html", fx->root);
    write_file(path, "<!doctype html><title>t</title>");
    snprintf(path, sizeof path, "%s/app.js", fx->root);
    write_file(path, "export {};\n");
    snprintf(path, sizeof path, "%s/secret.js", fx->dir); /* beside the root, not in it */
    write_file(path, "the secret");
    snprintf(path, sizeof path, "%s/sub.css", fx->root); /* a folder with a served extension */
    cr_assert_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/alias.js", fx->root);
    cr_assert_eq(symlink("app.js", path), 0);
    snprintf(path, sizeof path, "%s/leak.js", fx->root);
    cr_assert_eq(symlink("../secret.js", path), 0);
    snprintf(path, sizeof path, "%s/passwd.txt", fx->root);
    cr_assert_eq(symlink("/etc/passwd", path), 0);
}

/* The fixture's site with these payment settings. */
static struct ft_static_site *open_fixture_paying(struct fixture *fx, const char *base_url, const char *merchant_code,
                                                  const char *pg)
{
    char err[256];
    const struct ft_static_payments payments = { .base_url = base_url, .merchant_code = merchant_code, .pg = pg };
    struct ft_static_site *site = ft_static_site_open(fx->root, &payments, err, sizeof err);
    cr_assert_not_null(site, "%s", err);
    return site;
}

/* The fixture's site with payments at portone_base_url and no merchant code. */
static struct ft_static_site *open_fixture(struct fixture *fx, const char *portone_base_url)
{
    return open_fixture_paying(fx, portone_base_url, NULL, NULL);
}

static void remove_fixture(struct fixture *fx)
{
    char command[PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", fx->dir);
    cr_assert_eq(system(command), 0);
}

static struct fixture fx; /* the page folder of the test that runs (.init, .fini) */

static void setup(void)
{
    make_fixture(&fx);
}

static void teardown(void)
{
    remove_fixture(&fx);
}

static struct ft_static_answer serve(const struct ft_static_site *site, const char *method, const char *path,
                                     const char *if_none_match)
{
    struct ft_static_answer a;
    ft_static_serve(site, method, path, if_none_match, &a);
    return a;
}

static void release(struct ft_static_answer *a)
{
    if (a->fd >= 0)
        close(a->fd);
}

Test(static_files, files_inside_are_served_and_nothing_outside, .init = setup, .fini = teardown)
{
    struct ft_static_site *site = open_fixture(&fx, "");

    struct ft_static_answer a = serve(site, "GET", "/", NULL);
    cr_assert_eq(a.status, 200);
    cr_assert_geq(a.fd, 0);
    cr_assert_eq(a.size, strlen("<!doctype html><title>t</title>"));
    cr_assert_str_eq(a.content_type, "text/html; charset=utf-8");
    cr_assert_not_null(strstr(a.etag, "W/\""));
    release(&a);

    a = serve(site, "HEAD", "/web/app.js", NULL);
    cr_assert_eq(a.status, 200);
    cr_assert_str_eq(a.content_type, "text/javascript; charset=utf-8");
    release(&a);
    a = serve(site, "GET", "/web/alias.js", NULL); /* a link that stays inside */
    cr_assert_eq(a.status, 200);
    release(&a);

    static const char *const missing[] = { "/web/leak.js", "/web/passwd.txt", "/web/sub.css", "/web/nothing.js",
                                           "/web/index.htm" };
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        a = serve(site, "GET", missing[i], NULL);
        cr_assert_eq(a.status, 404, "%s", missing[i]);
        cr_assert_eq(a.fd, -1, "%s", missing[i]);
        cr_assert_str_eq(a.code, "NOT_FOUND");
    }
    a = serve(site, "GET", "/web/..", NULL);
    cr_assert_eq(a.status, 400);
    cr_assert_str_eq(a.code, "INVALID_PATH");
    a = serve(site, "POST", "/", NULL);
    cr_assert_eq(a.status, 405);
    cr_assert_str_eq(a.code, "METHOD_NOT_ALLOWED");

    ft_static_site_free(site);
}

Test(static_files, a_known_etag_is_not_modified, .init = setup, .fini = teardown)
{
    struct ft_static_site *site = open_fixture(&fx, "");
    struct ft_static_answer first = serve(site, "GET", "/web/app.js", NULL);
    cr_assert_eq(first.status, 200);
    release(&first);
    struct ft_static_answer again = serve(site, "GET", "/web/app.js", first.etag);
    cr_assert_eq(again.status, 304);
    cr_assert_eq(again.fd, -1);
    cr_assert_str_eq(again.etag, first.etag);
    struct ft_static_answer other = serve(site, "GET", "/web/app.js", "W/\"0-0\"");
    cr_assert_eq(other.status, 200);
    release(&other);
    ft_static_site_free(site);
}

/* The text of the site's config.json. */
static const char *config_text(const struct ft_static_site *site)
{
    struct ft_static_answer a = serve(site, "GET", "/web/config.json", NULL);
    cr_assert_eq(a.status, 200);
    cr_assert_eq(a.fd, -1);
    cr_assert_eq(a.size, strlen(a.text));
    cr_assert_str_eq(a.content_type, "application/json");
    return a.text;
}

/* Asserts that the site's policy has directive `name` ("script-src") as expected, up to
 * its ';' ("(absent)" when it has none). */
static void assert_directive(const struct ft_static_site *site, const char *name, const char *expected)
{
    const char *policy = ft_static_site_policy(site);
    char key[64], found[256] = "(absent)";
    snprintf(key, sizeof key, "%s ", name);
    const char *at = strstr(policy, key);
    if (at != NULL)
        snprintf(found, sizeof found, "%.*s", (int)strcspn(at, ";"), at);
    cr_assert_str_eq(found, expected, "in %s", policy);
}

Test(static_files, config_json_and_the_policy_of_the_imitations_checkout, .init = setup, .fini = teardown)
{
    struct ft_static_site *site = open_fixture(&fx, "http://127.0.0.1:8090/");
    cr_assert_eq(ft_static_site_checkout(site), FT_CHECKOUT_IMITATION);
    cr_assert_str_eq(config_text(site), "{\"payments\":{\"provider\":\"imitation\",\"checkoutUrl\":"
                                        "\"http://127.0.0.1:8090\",\"merchantCode\":null,\"pg\":null}}");
    assert_directive(site, "connect-src", "connect-src 'self' http://127.0.0.1:8090");
    assert_directive(site, "script-src", "script-src 'self'");
    cr_assert_null(strstr(ft_static_site_policy(site), "iamport"));
    ft_static_site_free(site);
}

Test(static_files, config_json_and_the_policy_of_portones_sdk, .init = setup, .fini = teardown)
{
    struct ft_static_site *site = open_fixture_paying(&fx, "https://api.iamport.kr", "imp12345678", "html5_inicis");
    cr_assert_eq(ft_static_site_checkout(site), FT_CHECKOUT_PORTONE);
    cr_assert_str_eq(config_text(site), "{\"payments\":{\"provider\":\"portone\",\"checkoutUrl\":null,"
                                        "\"merchantCode\":\"imp12345678\",\"pg\":\"html5_inicis\"}}");
    assert_directive(site, "script-src", "script-src 'self' https://cdn.iamport.kr");
    assert_directive(site, "connect-src", "connect-src 'self' https://*.iamport.kr");
    assert_directive(site, "frame-src", "frame-src https://*.iamport.kr");
    assert_directive(site, "form-action", "form-action 'self' https://*.iamport.kr");
    /* the rest as strict as ever: no inline code, no plug-ins, nobody frames the page */
    assert_directive(site, "style-src", "style-src 'self'");
    assert_directive(site, "default-src", "default-src 'self'");
    assert_directive(site, "object-src", "object-src 'none'");
    assert_directive(site, "frame-ancestors", "frame-ancestors 'none'");
    cr_assert_null(strstr(ft_static_site_policy(site), "unsafe"));
    ft_static_site_free(site);

    /* no pg: request_pay goes without one (PortOne's default PG); the imitation's address,
     * where the server verifies in the browser tests, is not the page's business */
    site = open_fixture_paying(&fx, "http://127.0.0.1:8090", "imp12345678", "");
    cr_assert_str_eq(config_text(site), "{\"payments\":{\"provider\":\"portone\",\"checkoutUrl\":null,"
                                        "\"merchantCode\":\"imp12345678\",\"pg\":null}}");
    cr_assert_null(strstr(ft_static_site_policy(site), "127.0.0.1"));
    assert_directive(site, "script-src", "script-src 'self' https://cdn.iamport.kr");
    ft_static_site_free(site);
}

Test(static_files, config_json_and_the_policy_of_a_page_that_cannot_pay, .init = setup, .fini = teardown)
{
    static const char *const bases[] = { "", "https://api.iamport.kr" }; /* no PortOne; no merchant code */
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        struct ft_static_site *site = open_fixture(&fx, bases[i]);
        cr_assert_eq(ft_static_site_checkout(site), FT_CHECKOUT_OFF, "%s", bases[i]);
        cr_assert_str_eq(config_text(site), "{\"payments\":{\"provider\":\"off\",\"checkoutUrl\":null,"
                                            "\"merchantCode\":null,\"pg\":null}}");
        assert_directive(site, "connect-src", "connect-src 'self'");
        assert_directive(site, "script-src", "script-src 'self'");
        assert_directive(site, "frame-src", "(absent)"); /* default-src 'self' */
        assert_directive(site, "form-action", "form-action 'self'");
        ft_static_site_free(site);
    }
}

Test(static_files, a_missing_root_is_refused_and_no_site_serves_nothing)
{
    char err[256];
    const struct ft_static_payments none = { 0 };
    cr_assert_null(ft_static_site_open("/nonexistent/ft-web", &none, err, sizeof err));
    cr_assert_not_null(strstr(err, "/nonexistent/ft-web"));
    cr_assert_null(ft_static_site_open("/etc/passwd", &none, err, sizeof err));
    struct ft_static_answer a = serve(NULL, "GET", "/", NULL);
    cr_assert_eq(a.status, 404);
}
