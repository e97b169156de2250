#include "client_address.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* The longest item worth reading: an IPv6 address with a /128 prefix fits easily. */
#define ITEM_MAX 64

/* Copies [start, end) without surrounding spaces and tabs into buf, NUL-terminated.
 * False when it does not fit; an empty item is copied as "". */
static bool copy_trimmed(const char *start, const char *end, char *buf, size_t size)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t len = (size_t)(end - start);
    if (len >= size)
        return false;
    memcpy(buf, start, len);
    buf[len] = '\0';
    return true;
}

static void ip_from_v6(const unsigned char bytes[16], struct ft_ip *out)
{
    static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    memset(out, 0, sizeof *out);
    if (memcmp(bytes, v4_mapped, sizeof v4_mapped) == 0) {
        out->family = AF_INET;
        memcpy(out->bytes, bytes + 12, 4);
    } else {
        out->family = AF_INET6;
        memcpy(out->bytes, bytes, 16);
    }
}

bool ft_ip_parse(const char *text, struct ft_ip *out)
{
    unsigned char bytes[16];
    if (inet_pton(AF_INET, text, bytes) == 1) {
        memset(out, 0, sizeof *out);
        out->family = AF_INET;
        memcpy(out->bytes, bytes, 4);
        return true;
    }
    if (inet_pton(AF_INET6, text, bytes) == 1) {
        ip_from_v6(bytes, out);
        return true;
    }
    return false;
}

bool ft_ip_from_sockaddr(const struct sockaddr *address, struct ft_ip *out)
{
    if (address == NULL)
        return false;
    if (address->sa_family == AF_INET) {
        struct sockaddr_in v4;
        memcpy(&v4, address, sizeof v4);
        memset(out, 0, sizeof *out);
        out->family = AF_INET;
        memcpy(out->bytes, &v4.sin_addr, 4);
        return true;
    }
    if (address->sa_family == AF_INET6) {
        struct sockaddr_in6 v6;
        memcpy(&v6, address, sizeof v6);
        ip_from_v6(v6.sin6_addr.s6_addr, out);
        return true;
    }
    return false;
}

static unsigned bits_of(int family)
{
    return family == AF_INET ? 32u : 128u;
}

/* Reads "ADDRESS" or "ADDRESS/BITS" (text is one trimmed, non-empty item). */
static bool network_parse(char *text, struct ft_ip_network *out)
{
    char *slash = strchr(text, '/');
    if (slash != NULL)
        *slash = '\0';
    if (!ft_ip_parse(text, &out->base))
        return false;
    unsigned max = bits_of(out->base.family);
    out->prefix_bits = max;
    if (slash == NULL)
        return true;
    const char *digits = slash + 1;
    size_t len = strlen(digits);
    if (len == 0 || len > 3 || strspn(digits, "0123456789") != len)
        return false;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++)
        bits = bits * 10 + (unsigned)(digits[i] - '0');
    /* An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) was stored as IPv4: its prefix too. */
    if (out->base.family == AF_INET && strchr(text, ':') != NULL) {
        if (bits < 96)
            return false;
        bits -= 96;
    }
    if (bits > max)
        return false;
    out->prefix_bits = bits;
    return true;
}

bool ft_trusted_proxies_parse(const char *list, struct ft_trusted_proxies *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (list == NULL || list[strspn(list, " \t")] == '\0')
        return true; /* trust nobody */
    const char *start = list;
    for (;;) {
        const char *comma = strchr(start, ',');
        const char *end = comma != NULL ? comma : start + strlen(start);
        char item[ITEM_MAX];
        if (!copy_trimmed(start, end, item, sizeof item)) {
            snprintf(err, errlen, "FT_TRUSTED_PROXIES has an item longer than %d characters", ITEM_MAX - 1);
            return false;
        }
        if (out->count == FT_TRUSTED_PROXIES_MAX) {
            snprintf(err, errlen, "FT_TRUSTED_PROXIES has more than %d items", FT_TRUSTED_PROXIES_MAX);
            return false;
        }
        char shown[ITEM_MAX];
        memcpy(shown, item, sizeof shown);
        if (item[0] == '\0' || !network_parse(item, &out->networks[out->count])) {
            snprintf(err, errlen, "FT_TRUSTED_PROXIES: \"%s\" is not an IP address or CIDR network", shown);
            return false;
        }
        out->count++;
        if (comma == NULL)
            return true;
        start = comma + 1;
    }
}

static bool network_contains(const struct ft_ip_network *network, const struct ft_ip *address)
{
    if (network->base.family != address->family)
        return false;
    size_t whole = network->prefix_bits / 8;
    unsigned rest = network->prefix_bits % 8;
    if (memcmp(network->base.bytes, address->bytes, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (network->base.bytes[whole] & mask) == (address->bytes[whole] & mask);
}

bool ft_trusted_proxies_contain(const struct ft_trusted_proxies *proxies, const struct ft_ip *address)
{
    for (size_t i = 0; i < proxies->count; i++)
        if (network_contains(&proxies->networks[i], address))
            return true;
    return false;
}

/* Walks one header value from its right-most hop. Updates *client with every hop read;
 * returns true when the walk is over (an untrusted hop was found, or a hop was not an
 * address), false when every hop of this value was a trusted proxy. */
static bool walk_hops(const struct ft_trusted_proxies *proxies, const char *value, struct ft_ip *client)
{
    const char *end = value + strlen(value);
    for (;;) {
        const char *start = end;
        while (start > value && start[-1] != ',')
            start--;
        char item[ITEM_MAX];
        struct ft_ip hop;
        if (!copy_trimmed(start, end, item, sizeof item) || !ft_ip_parse(item, &hop))
            return true; /* cannot be vouched for: keep the last trusted hop */
        *client = hop;
        if (!ft_trusted_proxies_contain(proxies, &hop))
            return true;
        if (start == value)
            return false;
        end = start - 1;
    }
}

void ft_client_address(const struct ft_trusted_proxies *proxies, const struct sockaddr *peer,
                       const char *const *forwarded, size_t count, char out[FT_CLIENT_ADDRESS_LEN])
{
    struct ft_ip client;
    if (!ft_ip_from_sockaddr(peer, &client)) {
        snprintf(out, FT_CLIENT_ADDRESS_LEN, "unknown");
        return;
    }
    if (ft_trusted_proxies_contain(proxies, &client)) {
        for (size_t i = count; i > 0; i--)
            if (forwarded[i - 1] == NULL || walk_hops(proxies, forwarded[i - 1], &client))
                break;
    }
    if (inet_ntop(client.family, client.bytes, out, FT_CLIENT_ADDRESS_LEN) == NULL)
        snprintf(out, FT_CLIENT_ADDRESS_LEN, "unknown");
}
