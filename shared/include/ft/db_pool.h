/*
 * A fixed pool of PostgreSQL connections shared by threads.
 *
 * Connections are opened on first use and reopened when found broken, so a program
 * starts while PostgreSQL is down and recovers when it is back. Every connection has a
 * statement timeout, so no thread waits on PostgreSQL for ever.
 */
#ifndef FT_DB_POOL_H
#define FT_DB_POOL_H

#include <libpq-fe.h>
#include <stdbool.h>

struct ft_db_pool;

/* Creates a pool of `size` connections to `url`; opens none yet. NULL when out of memory. */
__attribute__((warn_unused_result)) struct ft_db_pool *ft_db_pool_new(const char *url, int size);

/*
 * Takes a connected, idle connection, waiting at most timeout_ms for one to be free.
 * NULL when none was free in time or PostgreSQL could not be reached. The caller owns
 * the connection until it gives it back with ft_db_release.
 */
__attribute__((warn_unused_result)) PGconn *ft_db_acquire(struct ft_db_pool *pool, int timeout_ms);

/* Gives a connection back. One left inside a transaction or broken is closed, not reused. */
void ft_db_release(struct ft_db_pool *pool, PGconn *conn);

/* Closes every connection. No connection may be out. */
void ft_db_pool_free(struct ft_db_pool *pool);

/* PQexecParams with text parameters and text results, the text prepared once per
 * connection and run by name after that (db_query.c). The caller PQclears the result. */
PGresult *ft_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params);

/* ft_db_query of a statement whose one parameter ($1) is an integer. */
PGresult *ft_db_query_int(PGconn *conn, const char *sql, long long value);

/* True when `result` succeeded (COMMAND_OK or TUPLES_OK). */
bool ft_db_ok(const PGresult *result);

/* Logs a failed statement at warn level as `event` with error="<the message's first line>". */
void ft_db_log_failure(const char *event, const PGresult *result);

/* The SQLSTATE of a failed result ("23505" for a unique violation), or "" when none. */
const char *ft_db_sqlstate(const PGresult *result);

#endif
