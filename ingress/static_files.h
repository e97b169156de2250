/*
 * The buyer's web page (web/ in the repository): plain files served by the ingress itself.
 *
 * The page lives beside the API, not inside it: `GET /` is web/index.html and
 * `GET /web/{file}` is one file of the page's directory (FT_WEB_ROOT). The server
 * (server.c) hands every request whose path is `/` or `/web/` and one segment to this
 * module before the API's route table is consulted (a path with more segments, like any
 * path no route has, is 404 ROUTE_NOT_FOUND), so these paths are not in ft_routes and not
 * in `ft-ingress --print-routes`; schemas/openapi.yaml documents them under the tag
 * `page`, and tests/integration/test_contract.py adds them to the served routes.
 *
 * What is served: a plain name (a letter or digit, then letters,
 * digits, '.', '_' or '-'; no "..") with a known extension, that resolves (realpath,
 * symbolic links followed) to a regular file inside the root. Anything else is 400 (not a
 * plain name) or 404, so no request reaches outside the root. `config.json` is not a file:
 * it is made at start-up from the configuration and tells the page which payment checkout
 * to use (see ft_static_checkout_of and ft_static_site_open):
 * {"payments":{"provider":"off"|"imitation"|"portone","checkoutUrl":…,"merchantCode":…,"pg":…}}
 * with checkoutUrl only for the imitation and merchantCode and pg only for PortOne (else null).
 *
 * Caching: no file name carries a version (there is no build step), so every answer says
 * `Cache-Control: no-cache` with an ETag, and a browser revalidates with If-None-Match
 * and gets 304 when nothing changed. GET and HEAD only (libmicrohttpd sends no body for
 * HEAD); another method is 405.
 */
#ifndef FT_INGRESS_STATIC_FILES_H
#define FT_INGRESS_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest file name served, with its NUL. */
#define FT_STATIC_NAME_MAX 128

/* Room for an ETag (W/"<size hex>-<mtime hex>"), with its NUL. */
#define FT_STATIC_ETAG_MAX 48

/* What ft_static_file_name made of a request path. */
enum ft_static_name {
    FT_STATIC_NAME_OK,       /* name holds the file's name */
    FT_STATIC_NAME_NOT_PAGE, /* not a path of the page: the API's router decides */
    FT_STATIC_NAME_BAD,      /* one segment under /web/, but not a plain name: 400 */
};

/* Maps a request path to the name of a file of the page: "/" is "index.html",
 * "/web/<name>" is <name> when it is a plain name (see above). Pure. */
enum ft_static_name ft_static_file_name(const char *path, char name[FT_STATIC_NAME_MAX]);

/* True when the path is the page's (`/`, or `/web/` and one non-empty segment): the
 * server gives it to this module instead of the router. Pure. */
bool ft_static_claims(const char *path);

/* The Content-Type of a file name by its extension, or NULL when the extension is not one
 * the page uses (such a file is never served). Pure. */
const char *ft_static_content_type(const char *name);

/* True when resolved (an absolute path without symbolic links) lies strictly inside root
 * (also resolved, without a trailing slash): "/srv/web/a" is inside "/srv/web",
 * "/srv/web" and "/srv/webx/a" are not. Pure. */
bool ft_static_inside(const char *root, const char *resolved);

/* True when an If-None-Match header names etag (or is "*"); weak comparison, as RFC 9110
 * wants for GET. NULL header: false. Pure. */
bool ft_static_etag_matches(const char *if_none_match, const char *etag);

/* The payment settings the page's checkout is made from; NULL and "" both mean unset. */
struct ft_static_payments {
    const char *base_url;      /* FT_PORTONE_BASE_URL: the PortOne the server verifies payments with */
    const char *merchant_code; /* FT_PORTONE_MERCHANT_CODE: IMP.init's merchant code for PortOne's browser SDK */
    const char *pg;            /* FT_PORTONE_PG: request_pay's pg; unset = the default PG of PortOne's console */
};

/* Which checkout the page uses to pay. */
enum ft_static_checkout {
    FT_CHECKOUT_OFF,       /* the page cannot pay: no base URL, or PortOne itself without a merchant code */
    FT_CHECKOUT_IMITATION, /* no merchant code, a loopback base URL: the PortOne imitation's checkout (tests/portone) */
    FT_CHECKOUT_PORTONE,   /* a merchant code and a base URL: PortOne's browser SDK (web/checkout.js) */
};

/*
 * The checkout for these settings. A merchant code chooses PortOne's SDK whatever the base
 * URL is (the browser tests point the server at the imitation and the page at a stand-in
 * of the SDK); without one, a loopback base URL means the imitation, where its checkout
 * is, and any other base URL leaves the page unable to pay (the server still verifies
 * payments made elsewhere). origin (of origin_size bytes) receives the base URL's origin
 * ("http://127.0.0.1:8090") for IMITATION, "" otherwise. Pure.
 */
enum ft_static_checkout ft_static_checkout_of(const struct ft_static_payments *payments, char *origin,
                                              size_t origin_size);

/* "off", "imitation" or "portone": the provider config.json names. */
const char *ft_static_checkout_name(enum ft_static_checkout checkout);

struct ft_static_site;

/*
 * Opens the page's directory `root` (FT_WEB_ROOT; resolved once with realpath) and makes
 * config.json and the Content-Security-Policy from the payment settings (copied; the
 * caller keeps its strings). A root that does not exist or is not a directory: NULL with
 * the reason in err. Out of memory: NULL, "out of memory".
 */
__attribute__((warn_unused_result)) struct ft_static_site *
ft_static_site_open(const char *root, const struct ft_static_payments *payments, char *err, size_t errlen);

/* Frees the site; NULL is fine. */
void ft_static_site_free(struct ft_static_site *site);

/* The directory served, resolved. */
const char *ft_static_site_root(const struct ft_static_site *site);

/* The checkout the page was told to use. */
enum ft_static_checkout ft_static_site_checkout(const struct ft_static_site *site);

/* The Content-Security-Policy every page answer carries: only this origin, plus the
 * imitation's checkout for fetch when the page pays there, or PortOne's SDK script and its
 * payment window when the page pays with PortOne. */
const char *ft_static_site_policy(const struct ft_static_site *site);

/* What to answer a request of the page. */
struct ft_static_answer {
    int status;               /* 200, 304, 400, 404 or 405 */
    int fd;                   /* 200 from a file: open, read-only, the caller's to close; else -1 */
    uint64_t size;            /* bytes of the file or of text */
    const char *text;         /* 200 of config.json: the site's text (lives as long as the site); else NULL */
    const char *content_type; /* 200 and 304: static string */
    char etag[FT_STATIC_ETAG_MAX]; /* 200 and 304 */
    const char *code;         /* 400, 404, 405: the error's stable code; message beside it */
    const char *message;
};

/*
 * Decides the answer to method + path (a path ft_static_claims) with the request's
 * If-None-Match (or NULL). site may be NULL (no page configured): everything is 404.
 * Thread-safe: the site is read-only after ft_static_site_open.
 */
void ft_static_serve(const struct ft_static_site *site, const char *method, const char *path,
                     const char *if_none_match, struct ft_static_answer *out);

#endif
