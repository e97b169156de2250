/*
 * Array literals for unnest(): a batch is written by one statement per table, its rows
 * passed as one array per column ("{1,2,3}"), so a commit costs a few statements however
 * many rows it carries.
 */
#ifndef FT_UNNEST_COLUMNS_H
#define FT_UNNEST_COLUMNS_H

#include <stdbool.h>

#include "ft/strbuf.h"

#define FT_COLUMNS_MAX 13

struct ft_columns {
    struct ft_strbuf c[FT_COLUMNS_MAX];
    int n;
};

/* The separator before a row's element: none before the first. */
#define FT_COLUMN_SEP(index) ((index) ? "," : "")

/* n empty arrays, each opened with "{". */
void ft_columns_open(struct ft_columns *cols, int n);

/* Appends s to column c as a quoted element: any text (quotes, backslashes, commas) is safe. */
void ft_columns_put_text(struct ft_columns *cols, int c, bool first, const char *s);

/* Closes the arrays and points params[0..n) at them; false if an append ran out of memory. */
bool ft_columns_close(struct ft_columns *cols, const char **params);

void ft_columns_free(struct ft_columns *cols);

#endif
