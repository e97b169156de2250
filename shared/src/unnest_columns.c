#include "ft/unnest_columns.h"

#include <string.h>

void ft_columns_open(struct ft_columns *cols, int n)
{
    cols->n = n;
    for (int i = 0; i < n; i++) {
        ft_strbuf_init(&cols->c[i]);
        ft_strbuf_printf(&cols->c[i], "{");
    }
}

void ft_columns_put_text(struct ft_columns *cols, int c, bool first, const char *s)
{
    struct ft_strbuf *col = &cols->c[c];
    ft_strbuf_printf(col, "%s\"", FT_COLUMN_SEP(!first));
    while (*s != '\0') {
        size_t plain = strcspn(s, "\"\\");
        ft_strbuf_printf(col, "%.*s", (int)plain, s);
        s += plain;
        if (*s != '\0')
            ft_strbuf_printf(col, "\\%c", *s++);
    }
    ft_strbuf_printf(col, "\"");
}

bool ft_columns_close(struct ft_columns *cols, const char **params)
{
    bool ok = true;
    for (int i = 0; i < cols->n; i++) {
        ft_strbuf_printf(&cols->c[i], "}");
        params[i] = cols->c[i].failed ? NULL : cols->c[i].data;
        ok = ok && params[i] != NULL;
    }
    return ok;
}

void ft_columns_free(struct ft_columns *cols)
{
    for (int i = 0; i < cols->n; i++)
        ft_strbuf_free(&cols->c[i]);
}
