/* Filling an ft_response: JSON documents, JSON errors, plain text. */
#ifndef FT_INGRESS_RESPONSE_H
#define FT_INGRESS_RESPONSE_H

#include <jansson.h>

#include "ft/json_writer.h"

#include "http_types.h"

/* Answers `status` with the JSON document `doc`; takes over the caller's reference. */
void ft_respond_json(struct ft_response *resp, int status, json_t *doc);

/* Answers `status` with the text of writer `w` (ft/json_writer.h), which it finishes and
 * frees; a writer that failed (NULL too) answers 500. */
void ft_respond_written(struct ft_response *resp, int status, struct ft_json_writer *w);

/* Answers `status` with JSON text that is already serialised (copied). */
void ft_respond_json_text(struct ft_response *resp, int status, const char *json_text);

/* Answers {"error":{"code","message","field"?}} with the error's status. */
void ft_respond_error(struct ft_response *resp, const struct ft_error *err);

/* Shorthand for an error without a field. */
void ft_respond_fail(struct ft_response *resp, int status, const char *code, const char *message);

/* Answers `status` with text of the given static content type (copied). */
void ft_respond_text(struct ft_response *resp, int status, const char *content_type, const char *text);

/* Fills an ft_error; `field` may be NULL. Returns false so callers can `return ft_fail(…)`. */
bool ft_fail(struct ft_error *err, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
