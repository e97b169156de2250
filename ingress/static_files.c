#include "static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_PREFIX "/web/"
#define GENERATED_CONFIG "config.json"

/* Where PortOne's browser SDK (v1) comes from (web/checkout.js loads
 * https://cdn.iamport.kr/v1/iamport.js), and where its payment window and the calls it
 * makes go: PortOne's own hosts. Only a page that pays with PortOne may reach them. */
#define PORTONE_SDK_ORIGIN "https://cdn.iamport.kr"
#define PORTONE_SERVICE_HOSTS "https://*.iamport.kr"

struct ft_static_site {
    char root[PATH_MAX];       /* resolved, no trailing slash */
    char *config_json;         /* GENERATED_CONFIG's text */
    char config_etag[FT_STATIC_ETAG_MAX];
    enum ft_static_checkout checkout;
    char policy[PATH_MAX + 512]; /* Content-Security-Policy */
};

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static bool alnum_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The segment after "/web/" when path is "/web/" and one non-empty segment; else NULL. */
static const char *page_segment(const char *path)
{
    if (strncmp(path, PAGE_PREFIX, strlen(PAGE_PREFIX)) != 0)
        return NULL;
    const char *segment = path + strlen(PAGE_PREFIX);
    return segment[0] != '\0' && strchr(segment, '/') == NULL ? segment : NULL;
}

bool ft_static_claims(const char *path)
{
    return strcmp(path, "/") == 0 || page_segment(path) != NULL;
}

enum ft_static_name ft_static_file_name(const char *path, char name[FT_STATIC_NAME_MAX])
{
    name[0] = '\0';
    if (strcmp(path, "/") == 0) {
        snprintf(name, FT_STATIC_NAME_MAX, "index.html");
        return FT_STATIC_NAME_OK;
    }
    const char *given = page_segment(path);
    if (given == NULL)
        return FT_STATIC_NAME_NOT_PAGE;
    size_t len = strlen(given);
    if (len >= FT_STATIC_NAME_MAX || !alnum_char(given[0]) || strstr(given, "..") != NULL)
        return FT_STATIC_NAME_BAD;
    for (size_t i = 0; i < len; i++)
        if (!name_char(given[i]))
            return FT_STATIC_NAME_BAD; /* '\\', '%', a space, a control byte, not ASCII… */
    memcpy(name, given, len + 1);
    return FT_STATIC_NAME_OK;
}

const char *ft_static_content_type(const char *name)
{
    static const struct {
        const char *extension;
        const char *type;
    } types[] = {
        { ".html", "text/html; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".mjs", "text/javascript; charset=utf-8" },
        { ".json", "application/json" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
        { ".ico", "image/x-icon" },
        { ".webmanifest", "application/manifest+json" },
        { ".txt", "text/plain; charset=utf-8" },
    };
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(dot, types[i].extension) == 0)
            return types[i].type;
    return NULL;
}

bool ft_static_inside(const char *root, const char *resolved)
{
    size_t len = strlen(root);
    if (len == 0 || strncmp(resolved, root, len) != 0)
        return false;
    if (strcmp(root, "/") == 0)
        return resolved[1] != '\0';
    return resolved[len] == '/' && resolved[len + 1] != '\0';
}

/* The next entity tag of an If-None-Match list, without "W/" and quotes, into tag. */
static const char *next_tag(const char *p, char *tag, size_t tag_size)
{
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (*p == '\0')
        return NULL;
    const char *end = p + strcspn(p, ",");
    const char *start = p;
    if (strncmp(start, "W/", 2) == 0)
        start += 2;
    size_t len = (size_t)(end - start);
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
        len--;
    if (len >= tag_size)
        len = 0; /* longer than any tag of ours: matches nothing */
    memcpy(tag, start, len);
    tag[len] = '\0';
    return end;
}

bool ft_static_etag_matches(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL)
        return false;
    const char *ours = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    char tag[FT_STATIC_ETAG_MAX + 8];
    for (const char *p = next_tag(if_none_match, tag, sizeof tag); p != NULL; p = next_tag(p, tag, sizeof tag))
        if (strcmp(tag, "*") == 0 || strcmp(tag, ours) == 0)
            return true;
    return false;
}

static bool loopback_host(const char *host, size_t len)
{
    static const char *const names[] = { "localhost", "[::1]" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (len == strlen(names[i]) && strncasecmp(host, names[i], len) == 0)
            return true;
    /* 127.0.0.0/8, written as four decimal numbers */
    if (len < 9 || strncmp(host, "127.", 4) != 0)
        return false;
    int dots = 0;
    for (size_t i = 0; i < len; i++) {
        if (host[i] == '.')
            dots++;
        else if (host[i] < '0' || host[i] > '9')
            return false;
    }
    return dots == 3;
}

static bool unset(const char *value)
{
    return value == NULL || value[0] == '\0';
}

enum ft_static_checkout ft_static_checkout_of(const struct ft_static_payments *payments, char *origin,
                                              size_t origin_size)
{
    if (origin_size > 0)
        origin[0] = '\0';
    const char *base_url = payments->base_url;
    if (unset(base_url))
        return FT_CHECKOUT_OFF;
    if (!unset(payments->merchant_code))
        return FT_CHECKOUT_PORTONE;
    const char *rest = NULL;
    if (strncasecmp(base_url, "http://", 7) == 0)
        rest = base_url + 7;
    else if (strncasecmp(base_url, "https://", 8) == 0)
        rest = base_url + 8;
    if (rest == NULL)
        return FT_CHECKOUT_OFF;
    size_t authority = strcspn(rest, "/?#");
    size_t host = authority;
    if (rest[0] == '[') { /* [v6]:port */
        const char *close = memchr(rest, ']', authority);
        host = close != NULL ? (size_t)(close - rest) + 1 : authority;
    } else {
        const char *colon = memchr(rest, ':', authority);
        if (colon != NULL)
            host = (size_t)(colon - rest);
    }
    if (!loopback_host(rest, host))
        return FT_CHECKOUT_OFF;
    size_t origin_len = (size_t)(rest - base_url) + authority;
    if (origin_len < origin_size) {
        memcpy(origin, base_url, origin_len);
        origin[origin_len] = '\0';
    }
    return FT_CHECKOUT_IMITATION;
}

const char *ft_static_checkout_name(enum ft_static_checkout checkout)
{
    switch (checkout) {
    case FT_CHECKOUT_IMITATION: return "imitation";
    case FT_CHECKOUT_PORTONE: return "portone";
    case FT_CHECKOUT_OFF: break;
    }
    return "off";
}

/* FNV-1a, for the ETag of the generated text. */
static uint64_t fnv1a(const char *text)
{
    uint64_t hash = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        hash = (hash ^ *p) * 1099511628211ull;
    return hash;
}

/* config.json (see static_files.h); NULL when out of memory. */
static char *make_config(enum ft_static_checkout checkout, const struct ft_static_payments *payments)
{
    json_t *url = json_null();
    if (checkout == FT_CHECKOUT_IMITATION) {
        size_t len = strlen(payments->base_url);
        while (len > 0 && payments->base_url[len - 1] == '/')
            len--; /* the page appends "/__control/…" */
        url = json_stringn(payments->base_url, len);
    }
    bool sdk = checkout == FT_CHECKOUT_PORTONE;
    const char *merchant_code = sdk ? payments->merchant_code : NULL;
    const char *pg = sdk && !unset(payments->pg) ? payments->pg : NULL;
    json_t *doc = json_pack("{s:{s:s, s:o*, s:s?, s:s?}}", "payments", "provider", ft_static_checkout_name(checkout),
                            "checkoutUrl", url, "merchantCode", merchant_code, "pg", pg);
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

/* The Content-Security-Policy: scripts, styles and data from this origin only (no inline
 * script or style anywhere in web/, so none is allowed). Fetch may also reach the
 * imitation's checkout when the page pays there; PortOne's SDK may load, open its payment
 * window and talk to PortOne only when the page pays with PortOne. */
static void make_policy(char *policy, size_t size, enum ft_static_checkout checkout, const char *imitation_origin)
{
    if (checkout == FT_CHECKOUT_PORTONE) {
        snprintf(policy, size,
                 "default-src 'self'; script-src 'self' " PORTONE_SDK_ORIGIN "; style-src 'self'; "
                 "img-src 'self' data:; connect-src 'self' " PORTONE_SERVICE_HOSTS "; "
                 "frame-src " PORTONE_SERVICE_HOSTS "; object-src 'none'; base-uri 'none'; "
                 "form-action 'self' " PORTONE_SERVICE_HOSTS "; frame-ancestors 'none'");
        return;
    }
    bool imitation = checkout == FT_CHECKOUT_IMITATION && imitation_origin[0] != '\0';
    snprintf(policy, size,
             "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'%s%s; object-src 'none'; base-uri 'none'; form-action 'self'; "
             "frame-ancestors 'none'",
             imitation ? " " : "", imitation ? imitation_origin : "");
}

struct ft_static_site *ft_static_site_open(const char *root, const struct ft_static_payments *payments, char *err,
                                           size_t errlen)
{
    struct ft_static_site *site = calloc(1, sizeof *site);
    if (site == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct stat st;
    errno = 0;
    if (realpath(root, site->root) == NULL || stat(site->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a directory (%s)", root, errno != 0 ? strerror(errno) : "not a directory");
        free(site);
        return NULL;
    }
    char origin[256];
    site->checkout = ft_static_checkout_of(payments, origin, sizeof origin);
    site->config_json = make_config(site->checkout, payments);
    if (site->config_json == NULL) {
        snprintf(err, errlen, "out of memory");
        free(site);
        return NULL;
    }
    snprintf(site->config_etag, sizeof site->config_etag, "W/\"c-%016llx\"",
             (unsigned long long)fnv1a(site->config_json));
    make_policy(site->policy, sizeof site->policy, site->checkout, origin);
    return site;
}

void ft_static_site_free(struct ft_static_site *site)
{
    if (site == NULL)
        return;
    free(site->config_json);
    free(site);
}

const char *ft_static_site_root(const struct ft_static_site *site)
{
    return site->root;
}

enum ft_static_checkout ft_static_site_checkout(const struct ft_static_site *site)
{
    return site->checkout;
}

const char *ft_static_site_policy(const struct ft_static_site *site)
{
    return site->policy;
}

static void fail(struct ft_static_answer *out, int status, const char *code, const char *message)
{
    out->status = status;
    out->code = code;
    out->message = message;
}

/* Opens name inside the root; false when it does not resolve to a regular file there. */
static bool open_inside(const struct ft_static_site *site, const char *name, struct ft_static_answer *out)
{
    char candidate[PATH_MAX], resolved[PATH_MAX];
    if ((size_t)snprintf(candidate, sizeof candidate, "%s/%s", site->root, name) >= sizeof candidate)
        return false;
    if (realpath(candidate, resolved) == NULL || !ft_static_inside(site->root, resolved))
        return false; /* missing, or a symbolic link that leads out of the root */
    int fd = open(resolved, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return false;
    }
    out->fd = fd;
    out->size = (uint64_t)st.st_size;
    snprintf(out->etag, sizeof out->etag, "W/\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
    return true;
}

void ft_static_serve(const struct ft_static_site *site, const char *method, const char *path,
                     const char *if_none_match, struct ft_static_answer *out)
{
    *out = (struct ft_static_answer){ .status = 404, .fd = -1 };
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        fail(out, 405, "METHOD_NOT_ALLOWED", "the page is read with GET or HEAD");
        return;
    }
    char name[FT_STATIC_NAME_MAX];
    enum ft_static_name mapped = ft_static_file_name(path, name);
    if (mapped == FT_STATIC_NAME_BAD) {
        fail(out, 400, "INVALID_PATH", "a file of the page is one plain name: letters, digits, '.', '_', '-'");
        return;
    }
    const char *type = mapped == FT_STATIC_NAME_OK ? ft_static_content_type(name) : NULL;
    if (site == NULL || type == NULL) {
        fail(out, 404, "NOT_FOUND", "no such file");
        return;
    }
    out->content_type = type;
    if (strcmp(name, GENERATED_CONFIG) == 0) {
        out->text = site->config_json;
        out->size = strlen(site->config_json);
        snprintf(out->etag, sizeof out->etag, "%s", site->config_etag);
    } else if (!open_inside(site, name, out)) {
        fail(out, 404, "NOT_FOUND", "no such file");
        return;
    }
    if (ft_static_etag_matches(if_none_match, out->etag)) {
        if (out->fd >= 0)
            close(out->fd);
        out->fd = -1;
        out->text = NULL;
        out->status = 304;
        return;
    }
    out->status = 200;
}
