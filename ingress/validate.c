#include "validate.h"

#include <inttypes.h>
#include <string.h>

#include "response.h"

size_t ft_utf8_length(const char *text)
{
    size_t count = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++)
        if ((*p & 0xC0) != 0x80) /* count lead bytes, not continuation bytes */
            count++;
    return count;
}

bool ft_email_valid(const char *email)
{
    size_t len = strlen(email);
    if (len < 3 || len > 254)
        return false;
    for (const unsigned char *p = (const unsigned char *)email; *p != '\0'; p++)
        if (*p <= ' ' || *p == 0x7F)
            return false;
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
        return false;
    const char *domain = at + 1;
    size_t domain_len = strlen(domain);
    const char *dot = strchr(domain, '.');
    return domain_len >= 3 && dot != NULL && domain[0] != '.' && domain[domain_len - 1] != '.' &&
           strstr(domain, "..") == NULL;
}

bool ft_check_email(const char *email, struct ft_error *err)
{
    if (!ft_email_valid(email))
        return ft_fail(err, 422, "VALIDATION_FAILED", "email", "'email' is not a valid email address");
    return true;
}

bool ft_check_length(const char *text, const char *field, size_t min, size_t max, struct ft_error *err)
{
    size_t len = ft_utf8_length(text);
    if (len < min || len > max)
        return ft_fail(err, 422, "VALIDATION_FAILED", field, "'%s' must have %zu to %zu characters", field, min,
                       max);
    return true;
}

bool ft_check_range(int64_t value, const char *field, int64_t min, int64_t max, struct ft_error *err)
{
    if (value < min || value > max)
        return ft_fail(err, 422, "VALIDATION_FAILED", field, "'%s' must be from %" PRId64 " to %" PRId64, field,
                       min, max);
    return true;
}

bool ft_grade_valid(const char *grade)
{
    static const char *const grades[] = { "VIP", "R", "S", "A" };
    for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++)
        if (strcmp(grade, grades[i]) == 0)
            return true;
    return false;
}
