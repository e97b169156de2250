#include "uri_unescape.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

static size_t count_slashes(const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '/';
    return n;
}

size_t ft_uri_unescape(char *text)
{
    size_t len = strlen(text);
    if (memchr(text, '%', len) == NULL || len > (size_t)INT_MAX)
        return len;
    int decoded_len = 0;
    char *decoded = curl_easy_unescape(NULL, text, (int)len, &decoded_len);
    if (decoded == NULL)
        return len; /* out of memory: as sent, which routes nowhere useful */
    size_t out = (size_t)decoded_len;
    bool keep = memchr(decoded, '\0', out) != NULL || count_slashes(decoded, out) != count_slashes(text, len);
    if (!keep) {
        memcpy(text, decoded, out);
        text[out] = '\0';
        len = out;
    }
    curl_free(decoded);
    return len;
}
