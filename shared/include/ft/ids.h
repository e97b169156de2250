/* Ids as they travel in paths and token claims. */
#ifndef FT_IDS_H
#define FT_IDS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses a decimal id: digits only, no sign, no spaces, 1 to INT64_MAX. False for
 * anything else ("-1", "0", "", "12x", "99999999999999999999").
 */
__attribute__((warn_unused_result)) bool ft_parse_id(const char *text, int64_t *out);

#endif
