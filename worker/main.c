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
#include "ft/program.h"
#include "ft/ops_http.h"
#include "pipeline.h"

static volatile sig_atomic_t stop_requested;

int main(int argc, char **argv)
{
    bool replay = argc >= 2 && strcmp(argv[1], "--replay") == 0;
    int32_t only_partition = -1;
    if (replay && argc == 4 && strcmp(argv[2], "--partition") == 0)
        only_partition = (int32_t)strtol(argv[3], NULL, 10);
    if ((argc > 1 && !replay) || (replay && argc != 2 && argc != 4)) {
        fputs("usage: ft-worker                              decide commands (a consumer-group member)\n"
              "       ft-worker --replay [--partition N]     rebuild state from offset 0 into FT_DATABASE_URL\n"
              "                                              and print its digest\n"
              "Configuration in FT_* environment variables (ft-ingress --help lists them).\n",
              stderr);
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    struct ft_config config;
    if (!ft_program_configure("ft-worker", 0, &config))
        return EXIT_FAILURE;
    (void)ft_log_start_writer(); /* without it, each line is written by its caller */
    ft_program_stop_on_signals(&stop_requested);
    if (replay) {
        char digest[FT_STATE_DIGEST_SIZE];
        if (!ft_pipeline_replay(&config, only_partition, &stop_requested, digest))
            return EXIT_FAILURE;
        printf("%s\n", digest);
        return EXIT_SUCCESS;
    }
    struct ft_ops_http *ops = ft_ops_http_start(config.http_addr, config.worker_http_port, ft_pipeline_metrics, NULL);
    if (ops == NULL)
        return EXIT_FAILURE;
    bool ok = ft_pipeline_run(&config, &stop_requested);
    ft_ops_http_stop(ops);
    ft_log_info("worker.stopped", "ok=%d", ok);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
