#include "ft/program.h"

#include <stdio.h>

#include "ft/log.h"

static volatile sig_atomic_t *stop_flag;

static void on_stop_signal(int signal_number)
{
    (void)signal_number;
    if (stop_flag != NULL)
        *stop_flag = 1;
}

bool ft_program_configure(const char *program, unsigned needs, struct ft_config *config)
{
    char err[256];
    if (!ft_config_load(config, ft_env_process, needs, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", program, err);
        return false;
    }
    (void)ft_log_set_level(config->log_level);
    return true;
}

void ft_program_stop_on_signals(volatile sig_atomic_t *stop)
{
    stop_flag = stop;
    struct sigaction action = { .sa_handler = on_stop_signal };
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}
