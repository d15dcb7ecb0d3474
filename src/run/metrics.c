/* The /metrics endpoint of `crosswatch run`, served by libmicrohttpd on its own thread. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crosswatch/log.h"
#include "run/internal.h"

#define MOD       "run"
#define TEXT_SIZE (256 * 1024)

struct metrics {
    struct MHD_Daemon *d;
    metrics_fn fn;
    void *opaque;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    struct metrics *m = cls;
    (void)version, (void)upload, (void)upload_size, (void)state;
    struct MHD_Response *r;
    unsigned status = MHD_HTTP_OK;
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static const char msg[] = "only GET\n";
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    } else if (!strcmp(url, "/metrics")) {
        char *text = malloc(TEXT_SIZE);
        size_t n = text ? m->fn(m->opaque, text, TEXT_SIZE) : 0;
        r = MHD_create_response_from_buffer(n, text, MHD_RESPMEM_MUST_FREE);
        if (r)
            MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    } else {
        static const char msg[] = "not found: crosswatch serves /metrics\n";
        status = MHD_HTTP_NOT_FOUND;
        r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
    }
    if (!r)
        return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct metrics *cw__metrics_start(const char *addr, metrics_fn fn, void *opaque)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    struct sockaddr_in sa = {0};
    snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - addr) : 0, addr);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (!colon || port <= 0 || port > 65535 ||
        inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa.sin_addr) != 1) {
        cw_log_error(MOD, "metrics '%s': expected host:port, e.g. 127.0.0.1:9100", addr);
        return NULL;
    }
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->fn = fn, m->opaque = opaque;
    m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)port,
                            NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!m->d) {
        cw_log_error(MOD, "metrics: cannot listen on %s (is the port taken?)", addr);
        free(m);
        return NULL;
    }
    cw_log_info(MOD, "metrics at http://%s/metrics", addr);
    return m;
}

void cw__metrics_stop(struct metrics *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d);
    free(m);
}
