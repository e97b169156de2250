/*
 * Reading a JSON request body into typed fields, with the error a client should see.
 *
 * Structure faults are 400: MALFORMED_JSON (not JSON, truncated, duplicate keys, empty),
 * INVALID_TYPE (not an object, or a field of the wrong type), MISSING_FIELD (absent or
 * null). Each getter returns false and fills *err on a fault.
 */
#ifndef FT_INGRESS_JSON_BODY_H
#define FT_INGRESS_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_types.h"

/* Parses body[0..len) as a JSON object. On success *out holds a new reference. */
__attribute__((warn_unused_result)) bool ft_body_object(const char *body, size_t len, json_t **out,
                                                        struct ft_error *err);

/* A string field; with required false, an absent or null field leaves *out NULL. */
__attribute__((warn_unused_result)) bool ft_body_string(const json_t *obj, const char *name, bool required,
                                                        const char **out, struct ft_error *err);

/* An integer field (JSON integer; 1.0, "1" and true are wrong types). */
__attribute__((warn_unused_result)) bool ft_body_integer(const json_t *obj, const char *name, int64_t *out,
                                                         struct ft_error *err);

/* An array field. */
__attribute__((warn_unused_result)) bool ft_body_array(const json_t *obj, const char *name, const json_t **out,
                                                       struct ft_error *err);

#endif
