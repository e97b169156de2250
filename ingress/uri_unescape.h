/*
 * How a request's path (and query arguments) are decoded before routing: libmicrohttpd's
 * unescape callback. Percent-escapes are decoded by libcurl, except when decoding would
 * put a NUL byte into the text (C strings end there: /api/v1/concerts/1%00junk would be
 * read as concert 1) or make a '/' (/api/v1/concerts%2F1 would be routed as
 * /api/v1/concerts/1). Such a text is left as it was sent, and the router and the id
 * parser refuse it like any other malformed path. Pure apart from libcurl's allocation.
 */
#ifndef FT_INGRESS_URI_UNESCAPE_H
#define FT_INGRESS_URI_UNESCAPE_H

#include <stddef.h>

/* Decodes text in place (the result is never longer); returns its new length. */
size_t ft_uri_unescape(char *text);

#endif
