#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "client_address.h"

static struct ft_trusted_proxies trusting(const char *list)
{
    struct ft_trusted_proxies proxies;
    char err[200] = "";
    cr_assert(ft_trusted_proxies_parse(list, &proxies, err, sizeof err), "%s: %s", list, err);
    return proxies;
}

/* A socket address for a textual IPv4 or IPv6 address. */
static struct sockaddr_storage peer_of(const char *text)
{
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
        v6->sin6_family = AF_INET6;
        cr_assert_eq(inet_pton(AF_INET6, text, &v6->sin6_addr), 1, "%s", text);
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
        v4->sin_family = AF_INET;
        cr_assert_eq(inet_pton(AF_INET, text, &v4->sin_addr), 1, "%s", text);
    }
    return storage;
}

/* One peer and one X-Forwarded-For value (NULL: no header), and who the client is. */
struct client_case {
    const char *why;
    const char *trusted, *peer, *forwarded, *expected;
};

static const struct client_case cases[] = {
    { "nobody is trusted by default", "", "203.0.113.9", "198.51.100.1", "203.0.113.9" },
    { "a list of spaces trusts nobody", "   ", "203.0.113.9", "198.51.100.1", "203.0.113.9" },
    { "a forged header from an untrusted peer is ignored", "10.0.0.2", "203.0.113.9", "1.2.3.4", "203.0.113.9" },
    { "even when it names a trusted proxy", "10.0.0.0/8", "203.0.113.9", "10.0.0.2, 1.2.3.4", "203.0.113.9" },
    { "a trusted proxy names the client", "10.0.0.2", "10.0.0.2", "198.51.100.7", "198.51.100.7" },
    { "spaces around a hop", "10.0.0.2", "10.0.0.2", " 198.51.100.7 ", "198.51.100.7" },
    /* The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the real peer. */
    { "what the client wrote left of the proxy", "10.0.0.2", "10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7" },
    { "even a forged trusted hop", "10.0.0.2", "10.0.0.2", "10.0.0.2, 198.51.100.7", "198.51.100.7" },
    { "a chain of trusted proxies is walked from the right", "10.0.0.0/8, 172.16.0.0/12", "10.0.0.2",
      "1.2.3.4, 198.51.100.7, 172.16.5.5, 10.1.1.1", "198.51.100.7" },
    { "only trusted hops: the left-most of them", "10.0.0.0/8", "10.0.0.2", "10.9.9.9, 10.0.0.3", "10.9.9.9" },
    { "no header: the trusted peer", "10.0.0.2", "10.0.0.2", NULL, "10.0.0.2" },
    { "an empty header: the trusted peer", "10.0.0.2", "10.0.0.2", "", "10.0.0.2" },
    { "a hop that is a word", "10.0.0.0/8", "10.0.0.2", "198.51.100.7, unknown", "10.0.0.2" },
    { "a hop that is markup", "10.0.0.0/8", "10.0.0.2", "198.51.100.7, 10.0.0.9, <script>", "10.0.0.2" },
    { "an empty hop stops at the last trusted one", "10.0.0.0/8", "10.0.0.2", "198.51.100.7, 10.0.0.9,, 10.0.0.3",
      "10.0.0.3" },
    { "a hop with a port", "10.0.0.0/8", "10.0.0.2", "1.2.3.4:8080", "10.0.0.2" },
    { "a short address", "10.0.0.0/8", "10.0.0.2", "1.2.3", "10.0.0.2" },
    { "a hop too long to read", "10.0.0.2", "10.0.0.2",
      "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111", "10.0.0.2" },
    { "the answer is printed, not copied", "10.0.0.2", "10.0.0.2", "2001:0db8:0000:0000:0000:0000:0000:0001",
      "2001:db8::1" },
    { "an IPv4-mapped hop is printed as IPv4", "10.0.0.2", "10.0.0.2", "::ffff:198.51.100.7", "198.51.100.7" },
    { "an IPv6 proxy", "fd00::/8", "fd12::1", "2001:db8::5", "2001:db8::5" },
    { "an IPv6 peer outside the network", "fd00::/8", "fe80::1", "2001:db8::5", "fe80::1" },
    /* An IPv4 peer reaching an IPv6 socket is IPv4-mapped; it matches the IPv4 network. */
    { "an IPv4-mapped peer", "10.0.0.0/8", "::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7" },
    { "an IPv4-mapped network", "::ffff:10.0.0.0/104", "10.0.0.2", "198.51.100.7", "198.51.100.7" },
};

Test(client_address, one_header_value)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct client_case *c = &cases[i];
        struct ft_trusted_proxies proxies = trusting(c->trusted);
        struct sockaddr_storage peer = peer_of(c->peer);
        const char *values[] = { c->forwarded };
        char out[FT_CLIENT_ADDRESS_LEN];
        ft_client_address(&proxies, (const struct sockaddr *)&peer, values, c->forwarded ? 1 : 0, out);
        cr_expect_str_eq(out, c->expected, "%s: trusted=[%s] peer=%s X-Forwarded-For=[%s]", c->why, c->trusted,
                         c->peer, c->forwarded ? c->forwarded : "(none)");
    }
}

Test(client_address, later_headers_are_nearer_than_earlier_ones)
{
    struct ft_trusted_proxies proxies = trusting("10.0.0.0/8");
    struct sockaddr_storage peer = peer_of("10.0.0.2");
    const char *values[] = { "198.51.100.1", "198.51.100.2, 10.0.0.7" };
    char out[FT_CLIENT_ADDRESS_LEN];
    ft_client_address(&proxies, (const struct sockaddr *)&peer, values, 2, out);
    cr_expect_str_eq(out, "198.51.100.2");
    const char *trusted_only[] = { "198.51.100.1", "10.0.0.7" };
    ft_client_address(&proxies, (const struct sockaddr *)&peer, trusted_only, 2, out);
    cr_expect_str_eq(out, "198.51.100.1");
}

Test(client_address, an_unknown_peer_family)
{
    struct ft_trusted_proxies proxies = trusting("");
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    peer.ss_family = AF_UNIX;
    char out[FT_CLIENT_ADDRESS_LEN];
    ft_client_address(&proxies, (const struct sockaddr *)&peer, NULL, 0, out);
    cr_expect_str_eq(out, "unknown");
    ft_client_address(&proxies, NULL, NULL, 0, out);
    cr_expect_str_eq(out, "unknown");
}

Test(client_address, prefixes_match_bit_by_bit)
{
    struct ft_trusted_proxies proxies = trusting("172.16.0.0/12, 192.0.2.128/25, 0.0.0.0/0");
    struct ft_ip ip;
    cr_assert(ft_ip_parse("172.31.255.255", &ip));
    cr_expect(ft_trusted_proxies_contain(&proxies, &ip));
    proxies = trusting("172.16.0.0/12, 192.0.2.128/25");
    cr_assert(ft_ip_parse("172.32.0.0", &ip));
    cr_expect_not(ft_trusted_proxies_contain(&proxies, &ip));
    cr_assert(ft_ip_parse("172.15.255.255", &ip));
    cr_expect_not(ft_trusted_proxies_contain(&proxies, &ip));
    cr_assert(ft_ip_parse("192.0.2.200", &ip));
    cr_expect(ft_trusted_proxies_contain(&proxies, &ip));
    cr_assert(ft_ip_parse("192.0.2.127", &ip));
    cr_expect_not(ft_trusted_proxies_contain(&proxies, &ip));
    /* Host bits in a network are ignored: 10.1.2.3/8 is 10.0.0.0/8. */
    proxies = trusting("10.1.2.3/8");
    cr_assert(ft_ip_parse("10.200.0.1", &ip));
    cr_expect(ft_trusted_proxies_contain(&proxies, &ip));
    /* An IPv6 network never holds an IPv4 address. */
    proxies = trusting("::/0");
    cr_assert(ft_ip_parse("10.0.0.1", &ip));
    cr_expect_not(ft_trusted_proxies_contain(&proxies, &ip));
}

static void expect_refused(const char *list, const char *fragment)
{
    struct ft_trusted_proxies proxies;
    char err[200] = "";
    cr_expect_not(ft_trusted_proxies_parse(list, &proxies, err, sizeof err), "accepted [%s]", list);
    cr_expect(strstr(err, fragment) != NULL, "[%s]: error \"%s\" does not contain \"%s\"", list, err, fragment);
}

Test(client_address, bad_lists_are_refused_with_the_item_named)
{
    expect_refused("10.0.0.1, nginx", "\"nginx\" is not an IP address");
    expect_refused("10.0.0.0/33", "\"10.0.0.0/33\"");
    expect_refused("fd00::/129", "\"fd00::/129\"");
    expect_refused("10.0.0.0/", "\"10.0.0.0/\"");
    expect_refused("10.0.0.0/-1", "\"10.0.0.0/-1\"");
    expect_refused("10.0.0.0/ 8", "\"10.0.0.0/ 8\"");
    expect_refused("10.0.0.0/0008", "\"10.0.0.0/0008\"");
    expect_refused("::ffff:10.0.0.0/95", "\"::ffff:10.0.0.0/95\"");
    expect_refused("10.0.0.1,,10.0.0.2", "\"\" is not");
    expect_refused("10.0.0.1,", "\"\" is not");
    expect_refused("010.0.0.1", "\"010.0.0.1\"");
    expect_refused("1111111111111111111111111111111111111111111111111111111111111111111", "longer than");
    char many[40 * 12] = "";
    for (int i = 0; i <= FT_TRUSTED_PROXIES_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
    expect_refused(many, "more than 32");
}

Test(client_address, good_lists_are_read)
{
    struct ft_trusted_proxies proxies = trusting(" 10.0.0.2 ,172.16.0.0/12,\tfd00::/8 ");
    cr_expect_eq(proxies.count, 3);
    cr_expect_eq(proxies.networks[0].prefix_bits, 32);
    cr_expect_eq(proxies.networks[1].prefix_bits, 12);
    cr_expect_eq(proxies.networks[2].base.family, AF_INET6);
    cr_expect_eq(proxies.networks[2].prefix_bits, 8);
    char many[40 * 12] = "";
    for (int i = 0; i < FT_TRUSTED_PROXIES_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s10.0.0.%d", i ? "," : "", i);
    proxies = trusting(many);
    cr_expect_eq(proxies.count, FT_TRUSTED_PROXIES_MAX);
}
