#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "uri_unescape.h"

static void expect(const char *sent, const char *routed)
{
    char text[128];
    snprintf(text, sizeof text, "%s", sent);
    size_t len = ft_uri_unescape(text);
    cr_expect_str_eq(text, routed, "%s", sent);
    cr_expect_eq(len, strlen(routed), "%s", sent);
}

Test(uri_unescape, decodes_escapes_of_plain_characters)
{
    expect("/api/v1/concerts/%31%32", "/api/v1/concerts/12");
    expect("/web/app%2Ejs", "/web/app.js");
    expect("/api/v1/concerts", "/api/v1/concerts");
    expect("caf%C3%A9", "caf\xc3\xa9");
}

Test(uri_unescape, leaves_a_nul_as_sent_so_that_nothing_is_cut_off)
{
    expect("/api/v1/concerts/1%00junk", "/api/v1/concerts/1%00junk");
    expect("/healthz%00x", "/healthz%00x");
}

Test(uri_unescape, leaves_an_escaped_slash_as_sent_so_that_no_segment_is_made)
{
    expect("/api/v1/concerts%2F1", "/api/v1/concerts%2F1");
    expect("/api/v1/concerts%2f1%31", "/api/v1/concerts%2f1%31");
}

Test(uri_unescape, leaves_malformed_escapes_as_they_are)
{
    expect("/a%zz", "/a%zz");
    expect("/a%4", "/a%4");
}
