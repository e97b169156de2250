/*
 * ft-worker: decides reservation commands, the single writer of each partition it is
 * assigned. Configuration from the environment (ft-ingress --help lists it); stops
 * cleanly on SIGTERM or SIGINT, writing what it has decided first.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft/config.h"
#include "ft/log.h"
#include "pipeline.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fputs("usage: ft-worker   (configuration in FT_* environment variables)\n", stderr);
        return strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    struct ft_config config;
    char err[256];
    if (!ft_config_load(&config, ft_env_process, 0, err, sizeof err)) {
        fprintf(stderr, "ft-worker: %s\n", err);
        return EXIT_FAILURE;
    }
    (void)ft_log_set_level(config.log_level);
    struct sigaction action = { .sa_handler = on_stop_signal };
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    bool ok = ft_pipeline_run(&config, &stop_requested);
    ft_log_info("worker.stopped", "ok=%d", ok);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
