/*
 * Reading a JSON request body into typed fields, with the error a client should see.
 *
 * Structure faults are 400: MALFORMED_JSON (not JSON, truncated, duplicate keys, empty),
 * INVALID_TYPE (not an object, or a field of the wrong type), MISSING_FIELD (absent or
 * null), UNKNOWN_FIELD (a member the body does not take). Each getter returns false and
 * fills *err on a fault.
 */
#ifndef FT_INGRESS_JSON_BODY_H
#define FT_INGRESS_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http_types.h"

/*
 * Parses body[0..len) as a JSON object whose members are all among `members` (a
 * NULL-terminated list of names; NULL takes any, for bodies of others, like PortOne's
 * notices). On success *out holds a new reference.
 */
__attribute__((warn_unused_result)) bool ft_body_object(const char *body, size_t len, const char *const *members,
                                                        json_t **out, struct ft_error *err);

/*
 * Whether every member of obj is among `members` (NULL-terminated): otherwise 400
 * UNKNOWN_FIELD naming the first that is not. Without it a misspelt optional member
 * ("grad" for "grade") was dropped in silence, and the request served as if it had none.
 * (Not const: jansson iterates only mutable objects; obj is not changed.)
 */
__attribute__((warn_unused_result)) bool ft_body_members_known(json_t *obj, const char *const *members,
                                                               struct ft_error *err);

/* text, cut to fit `size` bytes without splitting a UTF-8 sequence: a field name a client
 * sent goes back in a JSON answer, and jansson takes only whole UTF-8. */
void ft_copy_whole_chars(char *out, size_t size, const char *text);

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
