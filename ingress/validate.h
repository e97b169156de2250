/*
 * Value rules of the API (a well-formed request whose values are unacceptable is 422
 * VALIDATION_FAILED, with the field named). Pure functions: no I/O.
 */
#ifndef FT_INGRESS_VALIDATE_H
#define FT_INGRESS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_types.h"

/* Characters (Unicode code points) in a valid UTF-8 string. */
size_t ft_utf8_length(const char *text);

/*
 * An address we accept: 3-254 bytes, exactly one '@', a non-empty local part, a domain
 * with a dot that neither starts nor ends it, no whitespace or control characters.
 */
bool ft_email_valid(const char *email);

/* 422 unless ft_email_valid(email). */
__attribute__((warn_unused_result)) bool ft_check_email(const char *email, struct ft_error *err);

/* 422 unless text has min..max characters. */
__attribute__((warn_unused_result)) bool ft_check_length(const char *text, const char *field, size_t min, size_t max,
                                                         struct ft_error *err);

/* 422 unless min <= value <= max. */
__attribute__((warn_unused_result)) bool ft_check_range(int64_t value, const char *field, int64_t min, int64_t max,
                                                        struct ft_error *err);

/* Seat grades, front to back. */
bool ft_grade_valid(const char *grade);

#endif
