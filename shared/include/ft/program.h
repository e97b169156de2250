/*
 * What every program of the project does first: read its configuration from the
 * environment (saying what is wrong, by setting name, when it cannot), set the log
 * level, and arrange for SIGTERM and SIGINT to ask it to stop.
 */
#ifndef FT_PROGRAM_H
#define FT_PROGRAM_H

#include <signal.h>
#include <stdbool.h>

#include "ft/config.h"

/*
 * Loads the configuration (needs: ft_config_need flags) and sets the log level. On a
 * bad setting prints "<program>: <reason>" to standard error and returns false.
 */
__attribute__((warn_unused_result)) bool ft_program_configure(const char *program, unsigned needs,
                                                              struct ft_config *config);

/*
 * Installs handlers so that SIGTERM and SIGINT set *stop to 1, and ignores SIGPIPE.
 * For programs with their own loop; the ingress waits with sigwait instead.
 */
void ft_program_stop_on_signals(volatile sig_atomic_t *stop);

#endif
