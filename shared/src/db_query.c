/*
 * ft_db_query: each statement text is prepared once per connection and executed by name
 * after that. PQexecParams parses and plans the text on every call; measured during an
 * on-sale with payments, planning was a third of PostgreSQL's time (0.4 ms for the join
 * that describes a payment order, every time).
 *
 * Which statements a connection has prepared is kept here, in one table for the whole
 * process keyed by the connection, its backend's pid (a reset connection has a new
 * backend, which knows none) and a hash of the text. A statement is prepared only when
 * its entry could be made, so the table never misses one the server has: preparing a
 * name twice would be an error, and inside a transaction an error aborts it. When the
 * table is full, statements run unprepared, as before.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ft/db_pool.h"

#define SLOTS 4096 /* connections x statements; a full table only costs speed */
#define PROBES 32

struct entry {
    const PGconn *conn; /* NULL: free */
    int backend_pid;
    uint64_t sql_hash;
};

static struct entry table[SLOTS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* FNV-1a: tells our own statement texts apart; nothing outside chooses them. */
static uint64_t hash_text(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return h;
}

static size_t home_slot(const PGconn *conn, uint64_t sql_hash)
{
    uint64_t h = sql_hash ^ ((uint64_t)(uintptr_t)conn * 0x9e3779b97f4a7c15ULL);
    return (size_t)(h ^ (h >> 29)) % SLOTS;
}

enum lookup { PREPARED, RESERVED, NO_ROOM };

/*
 * PREPARED when this connection's backend has the statement; otherwise claims its entry
 * (RESERVED: prepare it, and forget() it when that fails) or finds no room. An entry of the same
 * connection and text for an older backend is taken over: that backend is gone.
 */
static enum lookup look_up(const PGconn *conn, int pid, uint64_t sql_hash, size_t *slot)
{
    enum lookup found = NO_ROOM;
    pthread_mutex_lock(&table_lock);
    size_t home = home_slot(conn, sql_hash);
    for (size_t i = 0; i < PROBES; i++) {
        struct entry *e = &table[(home + i) % SLOTS];
        if (e->conn == conn && e->sql_hash == sql_hash) {
            found = e->backend_pid == pid ? PREPARED : RESERVED;
            e->backend_pid = pid;
            *slot = (home + i) % SLOTS;
            break;
        }
        if (e->conn == NULL && found == NO_ROOM) {
            found = RESERVED;
            *slot = (home + i) % SLOTS;
        }
    }
    if (found == RESERVED)
        table[*slot] = (struct entry){ .conn = conn, .backend_pid = pid, .sql_hash = sql_hash };
    pthread_mutex_unlock(&table_lock);
    return found;
}

static void forget(size_t slot)
{
    pthread_mutex_lock(&table_lock);
    table[slot] = (struct entry){ 0 };
    pthread_mutex_unlock(&table_lock);
}

static bool prepare(PGconn *conn, const char *name, const char *sql, int nparams)
{
    PGresult *res = PQprepare(conn, name, sql, nparams, NULL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

PGresult *ft_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
    int pid = PQbackendPID(conn);
    uint64_t sql_hash = hash_text(sql);
    size_t slot = 0;
    enum lookup state = pid != 0 ? look_up(conn, pid, sql_hash, &slot) : NO_ROOM;
    char name[24];
    snprintf(name, sizeof name, "ft_%016llx", (unsigned long long)sql_hash);
    if (state == RESERVED && !prepare(conn, name, sql, nparams)) {
        /* The same error (syntax, an aborted transaction, a lost connection) comes back
         * from running it unprepared, as the caller expects. */
        forget(slot);
        state = NO_ROOM;
    }
    if (state == NO_ROOM)
        return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    PGresult *res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);
    /* 26000: the server no longer has it (DEALLOCATE ALL, a pooler between us). Outside a
     * transaction nothing was aborted: prepare it again, once. */
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (sqlstate != NULL && strcmp(sqlstate, "26000") == 0 && PQtransactionStatus(conn) == PQTRANS_IDLE) {
        PQclear(res);
        if (!prepare(conn, name, sql, nparams)) {
            forget(slot);
            return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
        }
        res = PQexecPrepared(conn, name, nparams, params, NULL, NULL, 0);
    }
    return res;
}

PGresult *ft_db_query_int(PGconn *conn, const char *sql, long long value)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", value);
    const char *params[] = { text };
    return ft_db_query(conn, sql, 1, params);
}
