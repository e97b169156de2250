#include "record.h"

#include <stdlib.h>
#include <string.h>

bool lg_record_open(struct lg_recorder *rec, const char *path, size_t users, size_t requests)
{
    *rec = (struct lg_recorder){ .file = fopen(path, "w") };
    if (rec->file == NULL)
        return false;
    json_t *meta = json_pack("{s:{s:i, s:I, s:I}}", "meta", "version", 1, "users", (json_int_t)users, "requests",
                             (json_int_t)requests);
    rec->failed = meta == NULL || json_dumpf(meta, rec->file, JSON_COMPACT) != 0 || fputc('\n', rec->file) == EOF;
    json_decref(meta);
    return !rec->failed;
}

/* One line; `pay` (NULL: none) says which amount a payment's buyer pays. */
static void record_line(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                        size_t seq, json_t *body, const char *pay)
{
    if (rec->file == NULL)
        return;
    json_t *line = json_pack("{s:f, s:s, s:s, s:I, s:I}", "t", t_ms, "method", method, "path", path, "user",
                             (json_int_t)user, "seq", (json_int_t)seq);
    if (line != NULL && body != NULL)
        json_object_set(line, "body", body); /* adds a reference: the caller keeps its own */
    if (line != NULL && pay != NULL)
        json_object_set_new(line, "pay", json_string(pay));
    if (line == NULL || json_dumpf(line, rec->file, JSON_COMPACT | JSON_REAL_PRECISION(9)) != 0 || fputc('\n', rec->file) == EOF)
        rec->failed = true;
    json_decref(line);
}

void lg_record_request(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                       size_t seq, json_t *body)
{
    record_line(rec, t_ms, method, path, user, seq, body, NULL);
}

void lg_record_request_text(struct lg_recorder *rec, double t_ms, const char *method, const char *path, size_t user,
                            size_t seq, const char *body)
{
    if (rec->file == NULL)
        return;
    json_t *doc = json_loads(body, 0, NULL);
    if (doc == NULL)
        rec->failed = true; /* a body that is not JSON cannot be recorded as one */
    else
        record_line(rec, t_ms, method, path, user, seq, doc, NULL);
    json_decref(doc);
}

void lg_record_payment_start(struct lg_recorder *rec, double t_ms, size_t user, size_t seq, bool wrong_amount)
{
    if (rec->file == NULL)
        return;
    json_t *body = json_pack("{s:s}", "reservationId", "{reservationId}");
    record_line(rec, t_ms, "POST", LG_PAY_PREPARE_PATH, user, seq, body, wrong_amount ? "wrong-amount" : "right-amount");
    json_decref(body);
}

bool lg_record_close(struct lg_recorder *rec)
{
    if (rec->file == NULL)
        return true;
    bool ok = !rec->failed && fclose(rec->file) == 0;
    rec->file = NULL;
    return ok;
}

static bool load_line(const char *line, size_t number, struct lg_recording *out, char *err, size_t errlen)
{
    json_error_t error;
    json_t *doc = json_loads(line, 0, &error);
    if (doc == NULL) {
        snprintf(err, errlen, "line %zu: %s", number, error.text);
        return false;
    }
    bool ok = false;
    json_int_t users = 0, requests = 0, user = 0, seq = 0;
    double t = 0;
    const char *method = NULL, *path = NULL, *pay = NULL;
    json_t *body = NULL;
    if (json_unpack(doc, "{s:{s:I, s:I}}", "meta", "users", &users, "requests", &requests) == 0) {
        ok = users > 0 && requests >= 0;
        out->users = (size_t)users;
        out->requests = (size_t)requests;
    } else if (json_unpack(doc, "{s:F, s:s, s:s, s:I, s:I, s?o, s?s}", "t", &t, "method", &method, "path", &path,
                           "user", &user, "seq", &seq, "body", &body, "pay", &pay) == 0 &&
               user >= 0 && seq >= 0) {
        struct lg_recorded item = { .t_ms = t, .user = (size_t)user, .seq = (size_t)seq };
        bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
        bool poll = get && strcmp(path, LG_POLL_PATH_TEMPLATE) == 0;
        bool reserve = post && strcmp(path, "/api/v1/reservations") == 0 && body != NULL;
        bool pay_start = post && strcmp(path, LG_PAY_PREPARE_PATH) == 0 && pay != NULL &&
                         (strcmp(pay, "right-amount") == 0 || strcmp(pay, "wrong-amount") == 0);
        /* The later steps of a payment follow the answers in a replay: read, not kept. */
        bool pay_step = (post && (strcmp(path, LG_PAY_PORTONE_PATH) == 0 || strcmp(path, LG_PAY_CONFIRM_PATH) == 0)) ||
                        (get && strcmp(path, LG_PAY_POLL_PATH_TEMPLATE) == 0);
        item.kind = poll ? LG_RECORDED_POLL : pay_start ? LG_RECORDED_PAY : LG_RECORDED_RESERVE;
        item.wrong_amount = pay_start && strcmp(pay, "wrong-amount") == 0;
        if (reserve)
            item.body = json_dumps(body, JSON_COMPACT);
        ok = pay_step;
        if (poll || pay_start || item.body != NULL) {
            struct lg_recorded *grown = realloc(out->items, (out->count + 1) * sizeof *grown);
            ok = grown != NULL;
            if (ok) {
                out->items = grown;
                out->items[out->count++] = item;
                out->payments += pay_start;
            } else {
                free(item.body);
            }
        }
    }
    if (!ok)
        snprintf(err, errlen, "line %zu: not a meta line, a reservation, a poll or a payment step", number);
    json_decref(doc);
    return ok;
}

bool lg_recording_load(const char *path, struct lg_recording *out, char *err, size_t errlen)
{
    *out = (struct lg_recording){ 0 };
    FILE *file = fopen(path, "r");
    if (file == NULL) {
        snprintf(err, errlen, "cannot open %s", path);
        return false;
    }
    char *line = NULL;
    size_t cap = 0, number = 0;
    bool ok = true;
    while (ok && getline(&line, &cap, file) > 0) {
        number++;
        if (line[0] != '\n')
            ok = load_line(line, number, out, err, errlen);
    }
    free(line);
    fclose(file);
    if (ok && out->users == 0) {
        snprintf(err, errlen, "%s has no meta line", path);
        ok = false;
    }
    if (!ok)
        lg_recording_free(out);
    return ok;
}

void lg_recording_free(struct lg_recording *rec)
{
    for (size_t i = 0; i < rec->count; i++)
        free(rec->items[i].body);
    free(rec->items);
    *rec = (struct lg_recording){ 0 };
}
