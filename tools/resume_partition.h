/* ft-admin resume-partition: see resume_partition.c. */
#ifndef FT_ADMIN_RESUME_PARTITION_H
#define FT_ADMIN_RESUME_PARTITION_H

#include "ft/config.h"

/* Moves a partition stopped at a gap in the log to an offset the log holds; an exit status. */
int ft_admin_resume_partition(const struct ft_config *config, const char *partition, const char *at);

#endif
