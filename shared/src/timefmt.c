#include "ft/timefmt.h"

#include <string.h>

/* Reads exactly `count` digits at *p, advancing it. */
static bool digits(const char **p, int count, int *out)
{
    int value = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    *p += count;
    *out = value;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

bool ft_rfc3339_parse(const char *text, time_t *epoch)
{
    if (text == NULL || strlen(text) > 40)
        return false;
    const char *p = text;
    int year, month, day, hour, minute, second;
    if (!digits(&p, 4, &year) || !expect(&p, '-') || !digits(&p, 2, &month) || !expect(&p, '-') ||
        !digits(&p, 2, &day) || !(expect(&p, 'T') || expect(&p, 't')) || !digits(&p, 2, &hour) ||
        !expect(&p, ':') || !digits(&p, 2, &minute) || !expect(&p, ':') || !digits(&p, 2, &second))
        return false;
    if (*p == '.') {
        p++;
        int fraction_digits = 0;
        while (*p >= '0' && *p <= '9' && fraction_digits < 9) {
            p++;
            fraction_digits++;
        }
        if (fraction_digits == 0)
            return false;
    }
    int offset_seconds = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        p++;
        int off_hour, off_minute;
        if (!digits(&p, 2, &off_hour) || !expect(&p, ':') || !digits(&p, 2, &off_minute) || off_hour > 23 ||
            off_minute > 59)
            return false;
        offset_seconds = sign * (off_hour * 3600 + off_minute * 60);
    } else {
        return false;
    }
    if (*p != '\0' || year < 1970 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
        second > 59)
        return false;
    struct tm fields = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                         .tm_hour = hour, .tm_min = minute, .tm_sec = second };
    time_t local = timegm(&fields);
    /* timegm normalises 31 April into 1 May: a date that moved was not a real date. */
    if (fields.tm_mday != day || fields.tm_mon != month - 1)
        return false;
    *epoch = local - offset_seconds;
    return true;
}
