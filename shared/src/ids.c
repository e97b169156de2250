#include "ft/ids.h"

#include <string.h>

bool ft_parse_id(const char *text, int64_t *out)
{
    if (text == NULL || text[0] == '\0' || strlen(text) > 19)
        return false;
    int64_t value = 0;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        int digit = *p - '0';
        if (value > (INT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    if (value == 0)
        return false;
    *out = value;
    return true;
}
