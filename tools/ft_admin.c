/*
 * ft-admin: operator commands that must never be reachable over HTTP.
 *
 *   ft-admin create-admin --email E --name N   password from FT_ADMIN_PASSWORD, so it
 *                                              never shows in a process list
 *   ft-admin create-topics                     the pipeline's topics, idempotent
 *   ft-admin digest                            digest of the pipeline state in
 *                                              FT_DATABASE_URL (see ft-worker --replay)
 *   ft-admin resume-partition --partition N --at OFFSET
 *                                              where a partition stopped at a gap in
 *                                              the log goes on from (resume_partition.c)
 *
 * All read the usual FT_* environment (ft-ingress --help lists it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/config.h"
#include "ft/db_pool.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/password.h"
#include "ft/program.h"
#include "ft/state_digest.h"
#include "resume_partition.h"
#include "store.h"
#include "validate.h"

static int usage(void)
{
    fputs("usage: ft-admin create-admin --email EMAIL --name NAME   (password in FT_ADMIN_PASSWORD)\n"
          "       ft-admin create-topics\n"
          "       ft-admin digest\n"
          "       ft-admin resume-partition --partition N --at OFFSET\n",
          stderr);
    return EXIT_FAILURE;
}

static const char *option(int argc, char **argv, const char *name)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

static int create_admin(const struct ft_config *config, const char *email, const char *name)
{
    const char *password = getenv("FT_ADMIN_PASSWORD");
    if (email == NULL || name == NULL)
        return usage();
    struct ft_error err;
    if (!ft_check_email(email, &err) || !ft_check_length(name, "name", 1, 100, &err) || password == NULL ||
        !ft_check_length(password, "FT_ADMIN_PASSWORD", 12, 128, &err)) {
        fprintf(stderr, "ft-admin: %s\n", password == NULL ? "FT_ADMIN_PASSWORD is not set" : err.message);
        return EXIT_FAILURE;
    }
    char hash[FT_PASSWORD_HASH_SIZE];
    if (!ft_password_init() || !ft_password_hash(password, hash)) {
        fputs("ft-admin: could not hash the password\n", stderr);
        return EXIT_FAILURE;
    }
    struct ft_db_pool *pool = ft_db_pool_new(config->database_url, 1);
    PGconn *db = pool ? ft_db_acquire(pool, 5000) : NULL;
    int64_t user_id = 0;
    enum ft_store_result result = db ? ft_store_admin_upsert(db, email, hash, name, &user_id) : FT_STORE_UNAVAILABLE;
    ft_db_release(pool, db);
    ft_db_pool_free(pool);
    if (result != FT_STORE_OK) {
        fprintf(stderr, "ft-admin: could not write the admin to %s\n", config->database_url);
        return EXIT_FAILURE;
    }
    printf("admin %s has id %lld\n", email, (long long)user_id);
    return EXIT_SUCCESS;
}

static int create_topics(const struct ft_config *config)
{
    const char *topics[] = { config->topic_commands, config->topic_outcomes };
    char err[512];
    if (!ft_kafka_create_topics(config->kafka_brokers, topics, 2, config->topic_partitions, err, sizeof err)) {
        fprintf(stderr, "ft-admin: %s\n", err);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}

static int print_digest(const struct ft_config *config)
{
    PGconn *db = PQconnectdb(config->database_url);
    char digest[FT_STATE_DIGEST_SIZE];
    bool ok = PQstatus(db) == CONNECTION_OK && ft_state_digest(db, config->topic_commands, digest);
    PQfinish(db);
    if (!ok) {
        fprintf(stderr, "ft-admin: could not read the state of %s\n", config->database_url);
        return EXIT_FAILURE;
    }
    printf("%s\n", digest);
    return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    struct ft_config config;
    if (!ft_program_configure("ft-admin", 0, &config))
        return EXIT_FAILURE;
    if (strcmp(argv[1], "create-admin") == 0)
        return create_admin(&config, option(argc, argv, "--email"), option(argc, argv, "--name"));
    if (strcmp(argv[1], "create-topics") == 0)
        return create_topics(&config);
    if (strcmp(argv[1], "digest") == 0)
        return print_digest(&config);
    if (strcmp(argv[1], "resume-partition") == 0)
        return ft_admin_resume_partition(&config, option(argc, argv, "--partition"), option(argc, argv, "--at"));
    return usage();
}
