/*
 * Who sent a request: the socket's peer, unless the peer is a proxy we trust.
 *
 * Behind nginx every connection comes from nginx, and the buyer's address is only in
 * X-Forwarded-For, which anyone can also write themselves. So the header is believed only
 * when the peer is in FT_TRUSTED_PROXIES, and then only as far as trusted proxies wrote
 * it: walking the header from the right, each hop appended by a trusted proxy is taken in
 * turn, and the first address that is not itself a trusted proxy is the client. Whatever a
 * client wrote further left is never read. With an empty list nobody is trusted and the
 * header is ignored.
 *
 * Pure functions, no allocation: the list is parsed once at start-up into a fixed struct.
 */
#ifndef FT_INGRESS_CLIENT_ADDRESS_H
#define FT_INGRESS_CLIENT_ADDRESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Networks in FT_TRUSTED_PROXIES at most. */
#define FT_TRUSTED_PROXIES_MAX 32

/* Room for any address as text (an IPv6 address is the longest), with its NUL. */
#define FT_CLIENT_ADDRESS_LEN INET6_ADDRSTRLEN

/* One address: IPv4 (4 bytes used) or IPv6. IPv4-mapped IPv6 addresses are kept as IPv4. */
struct ft_ip {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
};

/* One trusted network: an address and how many leading bits of it must match. */
struct ft_ip_network {
    struct ft_ip base;
    unsigned prefix_bits; /* 0..32 for IPv4, 0..128 for IPv6; a bare address is a full prefix */
};

struct ft_trusted_proxies {
    size_t count;
    struct ft_ip_network networks[FT_TRUSTED_PROXIES_MAX];
};

/*
 * Parses a comma-separated list of addresses and CIDR networks ("10.0.0.2, 172.16.0.0/12,
 * fd00::/8"); spaces around items are ignored, and an empty list trusts nobody. Returns
 * false and writes a sentence naming the bad item into err when an item is not an
 * address, a prefix is out of range, or there are more than FT_TRUSTED_PROXIES_MAX.
 */
__attribute__((warn_unused_result)) bool ft_trusted_proxies_parse(const char *list, struct ft_trusted_proxies *out,
                                                                  char *err, size_t errlen);

/* Reads one textual address (inet_pton); false when it is not one. */
__attribute__((warn_unused_result)) bool ft_ip_parse(const char *text, struct ft_ip *out);

/* Converts a socket address (AF_INET or AF_INET6); false for any other family or NULL. */
__attribute__((warn_unused_result)) bool ft_ip_from_sockaddr(const struct sockaddr *address, struct ft_ip *out);

/* True when the address lies in one of the trusted networks. */
bool ft_trusted_proxies_contain(const struct ft_trusted_proxies *proxies, const struct ft_ip *address);

/*
 * Writes the client's address as text into out (FT_CLIENT_ADDRESS_LEN bytes).
 *
 * `peer` is the socket's peer; `forwarded` holds the X-Forwarded-For header values in the
 * order they arrived (`count` of them, possibly 0). When the peer is not trusted, the
 * answer is the peer. Otherwise the hops are walked from the right-most: the first one
 * that is not a trusted proxy is the answer; when the header runs out, or a hop is not an
 * address (it cannot be vouched for), the answer is the last trusted hop reached. The
 * answer is always an address printed by inet_ntop, never text copied from the header.
 * An unknown peer family gives "unknown".
 */
void ft_client_address(const struct ft_trusted_proxies *proxies, const struct sockaddr *peer,
                       const char *const *forwarded, size_t count, char out[FT_CLIENT_ADDRESS_LEN]);

#endif
