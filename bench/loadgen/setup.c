/* Before T0: the users' bearer tokens and the seat maps of the schedules. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ft/auth_token.h"
#include "loadgen.h"

/* Lifetime of a minted token: longer than any run. */
#define MINT_TTL_SECONDS 86400

struct fetched {
    bool done;
    long status;
    json_t *doc;
};

static void on_fetched(const struct lg_http_result *result, void *ctx, uint64_t tag)
{
    (void)tag;
    struct fetched *f = ctx;
    f->done = true;
    f->status = result->status;
    f->doc = json_loadb(result->body, result->body_len, 0, NULL);
}

json_t *lg_fetch_json(struct lg_http *http, const char *method, const char *path, const char *bearer,
                      const char *body, long *status)
{
    struct fetched f = { 0 };
    if (!lg_http_submit(http, method, path, bearer, body, on_fetched, &f, 0)) {
        *status = 0;
        return NULL;
    }
    while (!f.done)
        lg_http_step(http, 50);
    *status = f.status;
    return f.doc;
}

/* --- accounts ----------------------------------------------------------------------- */

struct accounts {
    struct lg_http *http;
    const struct lg_options *opt;
    char **tokens;
    size_t done, failed;
};

static void email_of(const struct lg_options *opt, size_t user, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%zu@bench.example", opt->user_prefix, user);
}

static void on_login(const struct lg_http_result *result, void *ctx, uint64_t user)
{
    struct accounts *a = ctx;
    json_t *doc = result->status == 200 ? json_loadb(result->body, result->body_len, 0, NULL) : NULL;
    const char *token = json_string_value(json_object_get(doc, "accessToken"));
    if (token != NULL && (a->tokens[user] = strdup(token)) != NULL) {
        a->done++;
    } else {
        if (a->failed++ < 5)
            fprintf(stderr, "ft-loadgen: login of user %lu: HTTP %ld %.200s\n", (unsigned long)user, result->status,
                    result->error ? result->error : result->body);
    }
    json_decref(doc);
}

static bool submit_login(struct accounts *a, uint64_t user)
{
    char email[256];
    email_of(a->opt, (size_t)user, email, sizeof email);
    json_t *body = json_pack("{s:s, s:s}", "email", email, "password", a->opt->password);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    bool ok = text != NULL && lg_http_submit(a->http, "POST", "/api/v1/users/login", NULL, text, on_login, a, user);
    free(text);
    json_decref(body);
    return ok;
}

static void on_signup(const struct lg_http_result *result, void *ctx, uint64_t user)
{
    struct accounts *a = ctx;
    /* 409: the address is taken, by this user's earlier run with the same prefix. */
    if ((result->status == 201 || result->status == 409) && submit_login(a, user))
        return;
    if (a->failed++ < 5)
        fprintf(stderr, "ft-loadgen: signup of user %lu: HTTP %ld %.200s\n", (unsigned long)user, result->status,
                result->error ? result->error : result->body);
}

static bool submit_signup(struct accounts *a, uint64_t user)
{
    char email[256];
    email_of(a->opt, (size_t)user, email, sizeof email);
    json_t *body = json_pack("{s:s, s:s, s:s}", "email", email, "password", a->opt->password, "name", "loadgen");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    bool ok =
        text != NULL && lg_http_submit(a->http, "POST", "/api/v1/users/signup", NULL, text, on_signup, a, user);
    free(text);
    json_decref(body);
    return ok;
}

static char *read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "ft-loadgen: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char buf[1024];
    char *secret = fgets(buf, sizeof buf, f) ? strdup(buf) : NULL;
    fclose(f);
    if (secret != NULL)
        secret[strcspn(secret, "\r\n")] = '\0';
    return secret;
}

static bool mint(const struct lg_options *opt, char **tokens)
{
    char *secret = read_secret(opt->jwt_secret_file);
    bool ok = secret != NULL;
    time_t now = time(NULL);
    for (size_t i = 0; ok && i < opt->users; i++)
        ok = (tokens[i] = ft_token_issue(secret, opt->first_user_id + (int64_t)i, FT_ROLE_USER, now,
                                         MINT_TTL_SECONDS)) != NULL;
    free(secret);
    return ok;
}

bool lg_setup_accounts(struct lg_http *http, const struct lg_options *opt, char ***tokens_out)
{
    struct accounts a = { .http = http, .opt = opt, .tokens = calloc(opt->users, sizeof(char *)) };
    bool ok = a.tokens != NULL;
    if (ok && opt->accounts == LG_ACCOUNTS_MINT) {
        ok = mint(opt, a.tokens);
        a.done = ok ? opt->users : 0;
    } else if (ok) {
        for (size_t i = 0; ok && i < opt->users; i++)
            ok = opt->accounts == LG_ACCOUNTS_SIGNUP ? submit_signup(&a, i) : submit_login(&a, i);
        while (lg_http_pending(http) > 0)
            lg_http_step(http, 50);
    }
    if (!ok || a.done != opt->users) {
        fprintf(stderr, "ft-loadgen: %zu of %zu users have a token\n", a.done, opt->users);
        for (size_t i = 0; a.tokens != NULL && i < opt->users; i++)
            free(a.tokens[i]);
        free(a.tokens);
        return false;
    }
    *tokens_out = a.tokens;
    return true;
}

/* --- schedules ---------------------------------------------------------------------- */

static bool add_schedule(struct lg_http *http, int64_t id, struct lg_schedule **list, size_t *count)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/seats/%lld", (long long)id);
    long status;
    json_t *doc = lg_fetch_json(http, "GET", path, NULL, NULL, &status);
    json_t *seats = json_object_get(doc, "seats");
    size_t n = json_array_size(seats);
    struct lg_schedule *grown = status == 200 && n > 0 ? realloc(*list, (*count + 1) * sizeof *grown) : NULL;
    if (grown == NULL) {
        fprintf(stderr, "ft-loadgen: seat map of schedule %lld: HTTP %ld, %zu seats\n", (long long)id, status, n);
        json_decref(doc);
        return false;
    }
    *list = grown;
    struct lg_schedule *s = &grown[*count];
    *s = (struct lg_schedule){ .id = id, .seats = calloc(n, sizeof *s->seats), .seat_count = n };
    bool ok = s->seats != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        json_t *seat = json_array_get(seats, i);
        const char *grade = json_string_value(json_object_get(seat, "grade"));
        s->seats[i].id = (int64_t)json_integer_value(json_object_get(seat, "id"));
        s->seats[i].row = (int32_t)json_integer_value(json_object_get(seat, "row"));
        bool known = false;
        for (int g = 0; grade != NULL && g < s->grade_count; g++)
            known |= strcmp(s->grades[g], grade) == 0;
        if (grade != NULL && !known && s->grade_count < 4 && strlen(grade) < sizeof s->grades[0])
            strcpy(s->grades[s->grade_count++], grade);
    }
    json_decref(doc);
    if (ok)
        (*count)++;
    else
        free(s->seats);
    return ok;
}

/* Every OPEN schedule of every concert (the first 100 concerts). */
static bool discover(struct lg_http *http, struct lg_schedule **list, size_t *count)
{
    long status;
    json_t *page = lg_fetch_json(http, "GET", "/api/v1/concerts?page=0&size=100", NULL, NULL, &status);
    json_t *items = json_object_get(page, "items");
    bool ok = status == 200;
    for (size_t i = 0; ok && i < json_array_size(items); i++) {
        char path[64];
        snprintf(path, sizeof path, "/api/v1/concerts/%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(items, i), "id")));
        json_t *concert = lg_fetch_json(http, "GET", path, NULL, NULL, &status);
        json_t *schedules = json_object_get(concert, "schedules");
        ok = status == 200;
        for (size_t k = 0; ok && k < json_array_size(schedules); k++) {
            json_t *s = json_array_get(schedules, k);
            const char *state = json_string_value(json_object_get(s, "status"));
            if (state != NULL && strcmp(state, "OPEN") == 0)
                ok = add_schedule(http, (int64_t)json_integer_value(json_object_get(s, "id")), list, count);
        }
        json_decref(concert);
    }
    json_decref(page);
    return ok;
}

bool lg_setup_schedules(struct lg_http *http, const struct lg_options *opt, struct lg_schedule **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    bool ok = true;
    if (opt->schedules == NULL) {
        ok = discover(http, out, count);
    } else {
        for (const char *p = opt->schedules; ok && *p != '\0';) {
            char *end;
            long long id = strtoll(p, &end, 10);
            ok = end != p && id > 0 && add_schedule(http, id, out, count);
            p = *end == ',' ? end + 1 : end;
            ok = ok && (*end == ',' || *end == '\0');
        }
    }
    if (ok && *count == 0) {
        fprintf(stderr, "ft-loadgen: no open schedule to reserve in\n");
        ok = false;
    }
    return ok;
}
