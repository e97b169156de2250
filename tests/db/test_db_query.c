/* ft_db_query against the real PostgreSQL (FT_TEST_DATABASE_URL): statements prepared once
 * per connection give the answers PQexecParams gives, also after the server forgot them. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "ft/db_pool.h"

#define ADD "SELECT $1::int + $2::int"

static PGconn *connect_test_db(void)
{
    const char *url = getenv("FT_TEST_DATABASE_URL");
    cr_assert_not_null(url, "FT_TEST_DATABASE_URL is required (deploy/local/test.sh sets it)");
    PGconn *conn = PQconnectdb(url);
    cr_assert_eq(PQstatus(conn), CONNECTION_OK, "%s", PQerrorMessage(conn));
    return conn;
}

static int add(PGconn *conn, const char *a, const char *b)
{
    const char *params[] = { a, b };
    PGresult *res = ft_db_query(conn, ADD, 2, params);
    cr_assert(ft_db_ok(res), "%s", PQresultErrorMessage(res));
    int sum = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return sum;
}

/* How many statements of ours this connection's backend has prepared. */
static int prepared_here(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'ft\\_%'");
    cr_assert(ft_db_ok(res), "%s", PQresultErrorMessage(res));
    int n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

Test(db_query, a_statement_is_prepared_once_and_answers_every_time)
{
    PGconn *conn = connect_test_db();
    cr_expect_eq(add(conn, "1", "2"), 3);
    cr_expect_eq(add(conn, "40", "2"), 42);
    cr_expect_eq(add(conn, "-5", "5"), 0);
    cr_expect_eq(prepared_here(conn), 1);
    PQfinish(conn);
}

Test(db_query, the_server_forgetting_a_statement_is_mended_outside_a_transaction)
{
    PGconn *conn = connect_test_db();
    cr_assert_eq(add(conn, "1", "1"), 2);
    PQclear(PQexec(conn, "DEALLOCATE ALL"));
    cr_expect_eq(add(conn, "2", "2"), 4);
    cr_expect_eq(prepared_here(conn), 1);
    PQfinish(conn);
}

Test(db_query, a_reset_connection_prepares_again)
{
    PGconn *conn = connect_test_db();
    cr_assert_eq(add(conn, "3", "4"), 7);
    int before = PQbackendPID(conn);
    PQreset(conn);
    cr_assert_eq(PQstatus(conn), CONNECTION_OK);
    cr_assert_neq(PQbackendPID(conn), before);
    /* inside a transaction, where a failed execution would abort it */
    PQclear(PQexec(conn, "BEGIN"));
    cr_expect_eq(add(conn, "5", "6"), 11);
    PGresult *res = PQexec(conn, "COMMIT");
    cr_expect_eq(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    PQfinish(conn);
}

Test(db_query, errors_are_those_of_the_statement_and_leave_nothing_behind)
{
    PGconn *conn = connect_test_db();
    PGresult *res = ft_db_query(conn, "SELEC 1", 0, NULL);
    cr_expect_not(ft_db_ok(res));
    cr_expect_str_eq(ft_db_sqlstate(res), "42601");
    PQclear(res);
    const char *params[] = { "x" };
    res = ft_db_query(conn, "SELECT $1::int", 1, params);
    cr_expect_str_eq(ft_db_sqlstate(res), "22P02"); /* prepared, then the value is refused */
    PQclear(res);
    /* in an aborted transaction: the abort's error, and afterwards the statement works */
    PQclear(PQexec(conn, "BEGIN"));
    PQclear(PQexec(conn, "SELECT 1/0"));
    res = ft_db_query(conn, "SELECT $1::int * 2", 1, (const char *[]){ "21" });
    cr_expect_str_eq(ft_db_sqlstate(res), "25P02");
    PQclear(res);
    PQclear(PQexec(conn, "ROLLBACK"));
    res = ft_db_query(conn, "SELECT $1::int * 2", 1, (const char *[]){ "21" });
    cr_assert(ft_db_ok(res), "%s", PQresultErrorMessage(res));
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "42");
    PQclear(res);
    PQfinish(conn);
}

Test(db_query, two_connections_keep_their_own_statements)
{
    PGconn *a = connect_test_db(), *b = connect_test_db();
    cr_expect_eq(add(a, "1", "2"), 3);
    cr_expect_eq(prepared_here(b), 0);
    cr_expect_eq(add(b, "2", "3"), 5);
    cr_expect_eq(prepared_here(a), 1);
    cr_expect_eq(prepared_here(b), 1);
    PQfinish(a);
    PQfinish(b);
}

Test(db_query, an_integer_parameter_arrives_whole)
{
    PGconn *conn = connect_test_db();
    PGresult *res = ft_db_query_int(conn, "SELECT $1::bigint * 2", -4611686018427387904LL);
    cr_assert(ft_db_ok(res), "%s", PQresultErrorMessage(res));
    cr_expect_str_eq(PQgetvalue(res, 0, 0), "-9223372036854775808");
    PQclear(res);
    PQfinish(conn);
}
