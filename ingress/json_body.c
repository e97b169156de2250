#include "json_body.h"

#include <stdio.h>
#include <string.h>

#include "response.h"

void ft_copy_whole_chars(char *out, size_t size, const char *text)
{
    size_t len = strlen(text);
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    memmove(out, text, len);
    out[len] = '\0';
}

bool ft_body_members_known(json_t *obj, const char *const *members, struct ft_error *err)
{
    const char *name;
    json_t *value;
    json_object_foreach (obj, name, value) {
        bool known = false;
        for (size_t i = 0; members[i] != NULL && !known; i++)
            known = strcmp(members[i], name) == 0;
        if (known)
            continue;
        char field[sizeof err->field], list[120] = "";
        ft_copy_whole_chars(field, sizeof field, name);
        for (size_t i = 0, used = 0; members[i] != NULL && used < sizeof list; i++)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", members[i]);
        return ft_fail(err, 400, "UNKNOWN_FIELD", field, "field '%s' is not one of %s", field, list);
    }
    return true;
}

bool ft_body_object(const char *body, size_t len, const char *const *members, json_t **out, struct ft_error *err)
{
    if (body == NULL || len == 0)
        return ft_fail(err, 400, "MALFORMED_JSON", NULL, "request body must be a JSON object");
    json_error_t parse_error;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &parse_error);
    if (doc == NULL)
        return ft_fail(err, 400, "MALFORMED_JSON", NULL, "body is not valid JSON: %s at line %d column %d",
                       parse_error.text, parse_error.line, parse_error.column);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return ft_fail(err, 400, "INVALID_TYPE", NULL, "request body must be a JSON object");
    }
    if (members != NULL && !ft_body_members_known(doc, members, err)) {
        json_decref(doc);
        return false;
    }
    *out = doc;
    return true;
}

/* The field, or NULL with MISSING_FIELD when required and absent or null. */
static const json_t *field(const json_t *obj, const char *name, bool required, struct ft_error *err, bool *ok)
{
    const json_t *value = json_object_get(obj, name);
    if (value == NULL || json_is_null(value)) {
        *ok = !required;
        if (required)
            (void)ft_fail(err, 400, "MISSING_FIELD", name, "field '%s' is required", name);
        return NULL;
    }
    *ok = true;
    return value;
}

bool ft_body_string(const json_t *obj, const char *name, bool required, const char **out, struct ft_error *err)
{
    bool ok;
    const json_t *value = field(obj, name, required, err, &ok);
    *out = NULL;
    if (value == NULL)
        return ok;
    if (!json_is_string(value))
        return ft_fail(err, 400, "INVALID_TYPE", name, "field '%s' must be a string", name);
    *out = json_string_value(value);
    return true;
}

bool ft_body_integer(const json_t *obj, const char *name, int64_t *out, struct ft_error *err)
{
    bool ok;
    const json_t *value = field(obj, name, true, err, &ok);
    if (value == NULL)
        return ok;
    if (!json_is_integer(value))
        return ft_fail(err, 400, "INVALID_TYPE", name, "field '%s' must be an integer", name);
    *out = (int64_t)json_integer_value(value);
    return true;
}

bool ft_body_array(const json_t *obj, const char *name, const json_t **out, struct ft_error *err)
{
    bool ok;
    const json_t *value = field(obj, name, true, err, &ok);
    if (value == NULL)
        return ok;
    if (!json_is_array(value))
        return ft_fail(err, 400, "INVALID_TYPE", name, "field '%s' must be an array", name);
    *out = value;
    return true;
}
