/*
 * ft-ingress: the HTTP front door. Reads its configuration from the environment
 * (ft-ingress --help lists it), serves until SIGTERM or SIGINT, then stops cleanly.
 */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef FT_MIMALLOC
#include <mimalloc.h>
#endif

#include "access_cache.h"
#include "app.h"
#include "client_address.h"
#include "ft/portone.h"
#include "ft/kafka_client.h"
#include "ft/log.h"
#include "ft/password.h"
#include "ft/program.h"
#include "key_binder.h"
#include "pipeline.h"
#include "routes.h"
#include "seat_map_cache.h"
#include "server.h"

static void print_line(const char *line)
{
    puts(line);
}

static void usage(void)
{
    puts("usage: ft-ingress [--print-routes | --help]\n\nConfiguration (environment):");
    ft_config_describe(print_line);
}

/* Lets the connection limit be reached: every connection is a file descriptor. */
static void raise_open_file_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* Blocks the stop signals in every thread (threads inherit it), to sigwait for them. */
static void block_stop_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGINT);
    sigaddset(stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Says which malloc serves the process: mimalloc when the build links it (CMakeLists.txt)
 * and it took glibc's place, as it must for the figures of docs/benchmark-history.md. */
static void log_allocator(void)
{
#ifdef FT_MIMALLOC
    void *probe = malloc(64);
    bool served = probe != NULL && mi_is_in_heap_region(probe);
    free(probe);
    if (served)
        ft_log_info("ingress.allocator", "name=mimalloc version=%d", mi_version());
    else
        ft_log_warn("ingress.allocator", "name=glibc reason=\"mimalloc is linked but does not serve malloc\"");
#else
    /* the C library's, or the sanitizers' in a test build */
    ft_log_info("ingress.allocator", "name=default");
#endif
}

static int serve(const struct ft_config *config)
{
    char err[512];
    /* A setting that cannot be read is said before anything is connected to. */
    struct ft_trusted_proxies proxies;
    if (!ft_trusted_proxies_parse(config->trusted_proxies, &proxies, err, sizeof err)) {
        ft_log_error("ingress.start_failed", "error=\"%s\"", err);
        return EXIT_FAILURE;
    }
    log_allocator();
    struct ft_app app = { .config = config };
    int threads = config->http_threads > 0 ? config->http_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    /* Beyond the HTTP threads', connections for the blocking pool, where every Idempotency-Key
     * is bound: with two, only two binds could wait on a commit at once (docs/operations.md). */
    app.db = ft_db_pool_new(config->database_url, config->db_pool_size > 0 ? config->db_pool_size : threads + 8);
    app.metrics = ft_http_metrics_new(ft_route_paths, ft_route_count);
    app.access_tokens = ft_access_cache_new(FT_ACCESS_CACHE_SLOTS);
    app.seat_maps = ft_seat_map_cache_new(1024, FT_SEAT_MAP_TTL_MS);
    app.producer = ft_kafka_producer_new(config->kafka_brokers, err, sizeof err);
    app.key_binder = app.db != NULL ? ft_key_binder_start(app.db) : NULL;
    bool payments = config->portone_base_url[0] != '\0';
    if (payments)
        app.portone = ft_portone_new(config->portone_base_url, config->portone_imp_key, config->portone_imp_secret,
                                     config->portone_timeout_ms);
    else
        ft_log_warn("ingress.payments_off", "reason=\"FT_PORTONE_BASE_URL is not set\"");
    int status = EXIT_FAILURE;
    struct ft_server *server = NULL;
    sigset_t stop;
    block_stop_signals(&stop);
    if (app.db == NULL || app.metrics == NULL || app.access_tokens == NULL || app.seat_maps == NULL ||
        app.key_binder == NULL) {
        ft_log_error("ingress.start_failed", "error=\"out of memory\"");
    } else if (payments && app.portone == NULL) {
        ft_log_error("ingress.start_failed", "error=\"FT_PORTONE_* settings are incomplete or invalid\"");
    } else if (app.producer == NULL) {
        ft_log_error("ingress.start_failed", "error=\"kafka: %s\"", err);
    } else if ((app.pipeline = ft_pipeline_start(config, app.db, err, sizeof err)) == NULL) {
        ft_log_error("ingress.start_failed", "error=\"%s\"", err);
    } else if ((server = ft_server_start(&app, err, sizeof err)) == NULL) {
        ft_log_error("ingress.start_failed", "error=\"%s\"", err);
    } else {
        int signal_number = 0;
        sigwait(&stop, &signal_number);
        ft_log_info("ingress.stopping", "signal=%s", strsignal(signal_number));
        /* Every deferred answer must be resumed before the daemon stops (exchange.h). */
        ft_pipeline_drain(app.pipeline, FT_PIPELINE_DELIVERY_TIMEOUT_MS + 2000);
        ft_server_drain(server, 2000); /* and their answers sent */
        ft_server_stop(server);
        status = EXIT_SUCCESS;
    }
    ft_key_binder_stop(app.key_binder); /* after the server: its keys were bound during the drain */
    ft_pipeline_stop(app.pipeline);
    if (app.producer != NULL) {
        rd_kafka_flush(app.producer, 5000);
        rd_kafka_destroy(app.producer);
    }
    ft_db_pool_free(app.db);
    ft_http_metrics_free(app.metrics);
    ft_access_cache_free(app.access_tokens);
    ft_seat_map_cache_free(app.seat_maps);
    ft_portone_free(app.portone);
    ft_log_info("ingress.stopped", "status=%d", status);
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print-routes") == 0) {
        for (size_t i = 0; i < ft_route_count; i++)
            printf("%s %s\n", ft_routes[i].method, ft_routes[i].path);
        return EXIT_SUCCESS;
    }
    if (argc > 1) {
        usage();
        return strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    struct ft_config config;
    if (!ft_program_configure("ft-ingress", FT_CONFIG_NEED_JWT, &config))
        return EXIT_FAILURE;
    (void)ft_log_start_writer(); /* without it, each line is written by its caller */
    if (!ft_password_init()) {
        ft_log_error("ingress.start_failed", "error=\"libsodium did not initialise\"");
        return EXIT_FAILURE;
    }
    raise_open_file_limit();
    return serve(&config);
}
