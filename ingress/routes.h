/* The ingress's route table: every path it serves, who may call it, and its handler. */
#ifndef FT_INGRESS_ROUTES_H
#define FT_INGRESS_ROUTES_H

#include <stddef.h>

#include "router.h"

extern const struct ft_route ft_routes[];
extern const size_t ft_route_count;
/* The path templates in table order, for metric labels. */
extern const char *const ft_route_paths[];

#endif
