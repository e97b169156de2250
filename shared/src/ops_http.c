#include "ft/ops_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ft/log.h"

struct ft_ops_http {
    struct MHD_Daemon *daemon; /* NULL when disabled */
    ft_metrics_render_fn render;
    void *ctx;
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int status, const char *type, char *body)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result queued = MHD_queue_response(conn, status, response);
    MHD_destroy_response(response);
    return queued;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    struct ft_ops_http *server = cls;
    static const char json[] = "application/json";
    if (strcmp(method, "GET") != 0)
        return answer(conn, 405, json,
                      strdup("{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"only GET\"}}"));
    if (strcmp(url, "/healthz") == 0)
        return answer(conn, 200, json, strdup("{\"status\":\"ok\"}"));
    if (strcmp(url, "/metrics") == 0) {
        char *text = server->render(server->ctx);
        return text ? answer(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text) : MHD_NO;
    }
    return answer(conn, 404, json, strdup("{\"error\":{\"code\":\"ROUTE_NOT_FOUND\",\"message\":\"no such route\"}}"));
}

struct ft_ops_http *ft_ops_http_start(const char *addr, int port, ft_metrics_render_fn render, void *ctx)
{
    struct ft_ops_http *server = calloc(1, sizeof *server);
    if (server == NULL)
        return NULL;
    server->render = render;
    server->ctx = ctx;
    if (port == 0)
        return server;
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &address.sin_addr) == 1)
        server->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request,
                                          server, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address,
                                          MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (server->daemon == NULL) {
        ft_log_error("ops_http.listen_failed", "addr=%s port=%d", addr, port);
        free(server);
        return NULL;
    }
    ft_log_info("ops_http.listening", "addr=%s port=%d", addr, port);
    return server;
}

void ft_ops_http_stop(struct ft_ops_http *server)
{
    if (server == NULL)
        return;
    if (server->daemon != NULL)
        MHD_stop_daemon(server->daemon);
    free(server);
}
