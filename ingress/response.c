#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char content_type_json[] = "application/json";

static void set_body(struct ft_response *resp, int status, const char *content_type, char *body)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = content_type;
    resp->body = body;
}

/* Answers `status` with text, or 500 when there is none (the document could not be made). */
static void set_json(struct ft_response *resp, int status, char *text)
{
    if (text == NULL) {
        set_body(resp, 500, content_type_json, strdup("{\"error\":{\"code\":\"INTERNAL\",\"message\":\"out of memory\"}}"));
        return;
    }
    set_body(resp, status, content_type_json, text);
}

void ft_respond_json(struct ft_response *resp, int status, json_t *doc)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    set_json(resp, status, text);
}

void ft_respond_written(struct ft_response *resp, int status, struct ft_json_writer *w)
{
    set_json(resp, status, ft_json_writer_finish(w, NULL));
}

void ft_respond_json_text(struct ft_response *resp, int status, const char *json_text)
{
    set_body(resp, status, content_type_json, strdup(json_text));
}

void ft_respond_error(struct ft_response *resp, const struct ft_error *err)
{
    json_t *detail = json_pack("{s:s, s:s}", "code", err->code, "message", err->message);
    if (detail != NULL && err->field[0] != '\0')
        json_object_set_new(detail, "field", json_string(err->field));
    ft_respond_json(resp, err->status, detail ? json_pack("{s:o}", "error", detail) : NULL);
}

void ft_respond_fail(struct ft_response *resp, int status, const char *code, const char *message)
{
    struct ft_error err;
    (void)ft_fail(&err, status, code, NULL, "%s", message);
    ft_respond_error(resp, &err);
}

void ft_respond_text(struct ft_response *resp, int status, const char *content_type, const char *text)
{
    set_body(resp, status, content_type, strdup(text));
}

bool ft_fail(struct ft_error *err, int status, const char *code, const char *field, const char *fmt, ...)
{
    err->status = status;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return false;
}
