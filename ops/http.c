/* http.c: the small HTTP/1.1 server on the loop for /metrics, /healthz,
 * /readyz (see http.h). May call common/, libuv, libhttp-parser. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define MAX_QUEUED (1u << 20) /* response bytes waiting for a client before its parsing pauses */
#define RESUME_QUEUED (MAX_QUEUED / 4)
#define LISTEN_BACKLOG 64

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown;
    ds_http *srv;
    struct conn *prev, *next;
    http_parser parser;
    ds_buf url;          /* of the request being read */
    size_t msg_bytes;    /* URL, header and body bytes of the request being read */
    int err_status;      /* set by a callback that stopped the parser (413) */
    ds_buf pending;      /* bytes read but not parsed while parsing is paused */
    size_t queued;       /* response bytes written, not yet acknowledged */
    size_t nwrites;      /* writes not yet acknowledged */
    int paused;          /* parsing paused: too much queued, or done */
    int done;            /* no more requests: close once the writes are out */
    int eof;             /* the client sent everything it will send */
    int reading;
    int shut;            /* our side is shut down: waiting for the client's end */
    int closing;
    int nclosed;         /* handles closed, of 2 */
} conn;

struct ds_http {
    uv_tcp_t listener;
    uv_loop_t *loop;
    ds_http_handler handler;
    void *opaque;
    ds_http_options opt;
    http_parser_settings settings;
    conn *conns;
    size_t nconns;
    int closing;
    int listener_closed;
    char addr[INET6_ADDRSTRLEN + 8];
    int port;
    ds_buf body;         /* reused for each reply */
    char rbuf[65536];    /* reads are consumed within the read callback, so one buffer serves every connection */
};

typedef struct wreq {
    uv_write_t req;
    conn *c;
    size_t len;
    char data[];
} wreq;

static void conn_close(conn *c);
static void conn_feed(conn *c, const char *data, size_t len);
static void read_start(conn *c);
static void read_stop(conn *c);

/* ---- server lifetime ------------------------------------------------------ */

static void maybe_free_server(ds_http *srv)
{
    if (srv->closing && srv->listener_closed && srv->nconns == 0) {
        ds_buf_free(&srv->body);
        free(srv);
    }
}

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;
    if (++c->nclosed < 2)
        return;
    ds_http *srv = c->srv;
    ds_buf_free(&c->url);
    ds_buf_free(&c->pending);
    free(c);
    srv->nconns--;
    maybe_free_server(srv);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_timeout(uv_timer_t *t)
{
    conn *c = t->data;
    ds_debug("http", "closing a connection: timed out");
    conn_close(c);
}

static void arm(conn *c, uint64_t ms)
{
    if (!c->closing)
        uv_timer_start(&c->timer, on_timeout, ms, 0);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn *c = req->data;
    if (status < 0)
        conn_close(c);
}

/* Ends the connection once every response is out. After the last response
 * our side is shut down first and what the client still sends is read and
 * dropped until it closes its side (or the request timeout passes): closing
 * with unread input would make the kernel reset the connection, and a reset
 * can destroy the response before the client reads it. */
static void maybe_finish(conn *c)
{
    if (c->closing || c->nwrites > 0)
        return;
    if (c->eof && (c->done || c->pending.len == 0)) {
        conn_close(c);
    } else if (c->done && !c->shut) {
        c->shut = 1;
        c->shutdown.data = c;
        if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown)) {
            conn_close(c);
            return;
        }
        arm(c, c->srv->opt.request_timeout_ms);
        read_start(c);
    }
}

/* ---- responses ------------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
    wreq *w = (wreq *)req;
    conn *c = w->c;
    c->queued -= w->len;
    c->nwrites--;
    free(w);
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->paused && !c->done && c->queued <= RESUME_QUEUED) {
        /* the client reads again: parse what it pipelined meanwhile */
        c->paused = 0;
        http_parser_pause(&c->parser, 0);
        ds_buf held = c->pending;
        ds_buf_init(&c->pending);
        conn_feed(c, held.data, held.len);
        ds_buf_free(&held);
        if (!c->paused && !c->done)
            read_start(c);
    }
    maybe_finish(c);
}

static const char *reason(int status)
{
    return status == 413 ? "Content Too Large" : http_status_str((enum http_status)status);
}

/* Queues one response. body may be NULL; with head_only the body is
 * measured in Content-Length but not sent. */
static void respond(conn *c, int status, const char *type, const char *body, size_t blen, int head_only)
{
    if (c->closing)
        return;
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: %s\r\n\r\n", status,
                      reason(status), type ? type : "text/plain; charset=utf-8", blen,
                      status == 405 ? "Allow: GET, HEAD\r\n" : "", c->done ? "close" : "keep-alive");
    size_t send_body = head_only ? 0 : blen;
    wreq *w = malloc(sizeof *w + (size_t)hl + send_body);
    if (!w) {
        conn_close(c);
        return;
    }
    memcpy(w->data, head, (size_t)hl);
    if (send_body)
        memcpy(w->data + hl, body, send_body);
    w->c = c;
    w->len = (size_t)hl + send_body;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written)) {
        free(w);
        conn_close(c);
        return;
    }
    c->queued += w->len;
    c->nwrites++;
}

static void respond_text(conn *c, int status, const char *text, int head_only)
{
    respond(c, status, NULL, text, strlen(text), head_only);
}

/* An error that ends the connection: no more requests are read. */
static void respond_fatal(conn *c, int status, const char *text)
{
    c->done = 1;
    respond_text(c, status, text, 0);
}

/* ---- parsing ------------------------------------------------------------- */

static int count(conn *c, size_t len)
{
    c->msg_bytes += len;
    if (c->msg_bytes > c->srv->opt.max_request_bytes) {
        c->err_status = 413;
        return -1;
    }
    return 0;
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    c->msg_bytes = 0;
    ds_buf_reset(&c->url);
    arm(c, c->srv->opt.request_timeout_ms);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count(c, len))
        return -1;
    return ds_buf_append(&c->url, at, len);
}

static int on_header(http_parser *p, const char *at, size_t len)
{
    (void)at;
    return count(p->data, len);
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    (void)at;
    return count(p->data, len);
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    ds_http *srv = c->srv;
    int head = p->method == HTTP_HEAD;
    if (!http_should_keep_alive(p) || p->upgrade)
        c->done = 1;
    struct http_parser_url u;
    http_parser_url_init(&u);
    const char *url = ds_buf_cstr(&c->url);
    if (c->url.len == 0 || http_parser_parse_url(url, c->url.len, p->method == HTTP_CONNECT, &u)) {
        respond_fatal(c, 400, "bad request: malformed URL\n");
    } else if (p->method != HTTP_GET && p->method != HTTP_HEAD) {
        char msg[128];
        snprintf(msg, sizeof msg, "method %s not allowed: GET or HEAD only\n", http_method_str((enum http_method)p->method));
        respond_text(c, 405, msg, 0);
    } else {
        char path[1024] = "/";
        if (u.field_set & (1 << UF_PATH)) {
            size_t n = u.field_data[UF_PATH].len < sizeof path - 1 ? u.field_data[UF_PATH].len : sizeof path - 1;
            memcpy(path, url + u.field_data[UF_PATH].off, n);
            path[n] = '\0';
        }
        ds_buf_reset(&srv->body);
        ds_http_reply rep = {404, NULL, &srv->body};
        srv->handler(srv->opaque, path, &rep);
        if (rep.status == 404 && srv->body.len == 0)
            ds_buf_printf(&srv->body, "not found: %s (try /metrics, /healthz, /readyz)\n", path);
        respond(c, rep.status, rep.content_type, srv->body.data ? srv->body.data : "", srv->body.len, head);
        ds_debug("http", "%s %s %d %zu", http_method_str((enum http_method)p->method), path, rep.status,
                 srv->body.len);
    }
    if (c->done || c->queued > MAX_QUEUED) {
        /* stop at this request: the next ones wait in c->pending (or are
         * dropped, when done) */
        c->paused = 1;
        http_parser_pause(p, 1);
    } else {
        arm(c, srv->opt.idle_timeout_ms);
    }
    return 0;
}

/* Parses bytes of the connection; what a pause leaves is kept for later. */
static void conn_feed(conn *c, const char *data, size_t len)
{
    if (c->closing || c->done || len == 0)
        return;
    if (c->paused) {
        if (ds_buf_append(&c->pending, data, len))
            conn_close(c);
        return;
    }
    size_t n = http_parser_execute(&c->parser, &c->srv->settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED) {
        if (!c->done && n < len && ds_buf_append(&c->pending, data + n, len - n))
            conn_close(c);
        else if (!c->done)
            read_stop(c); /* until the client has read enough (on_written) */
    } else if (c->err_status == 413 || e == HPE_HEADER_OVERFLOW) {
        char msg[128];
        snprintf(msg, sizeof msg, "request too large: over %zu bytes of URL, headers and body\n",
                 c->srv->opt.max_request_bytes);
        respond_fatal(c, 413, msg);
    } else if (e != HPE_OK) {
        char msg[256];
        snprintf(msg, sizeof msg, "bad request: %s\n", http_errno_description(e));
        respond_fatal(c, 400, msg);
    } else if (c->parser.upgrade) {
        c->done = 1; /* protocol upgrades are not served: what follows is not HTTP */
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *c = h->data;
    buf->base = c->srv->rbuf;
    buf->len = sizeof c->srv->rbuf;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        uv_read_stop(s);
        c->reading = 0;
        if (nread != UV_EOF) {
            conn_close(c);
            return;
        }
        /* requests still held (paused) are answered before the close */
        c->eof = 1;
        maybe_finish(c);
        return;
    }
    conn_feed(c, buf->base, (size_t)nread);
    maybe_finish(c);
}

static void read_start(conn *c)
{
    if (!c->reading && !c->eof && !c->closing && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = 1;
}

static void read_stop(conn *c)
{
    if (c->reading)
        uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void on_connection(uv_stream_t *l, int status)
{
    ds_http *srv = l->data;
    if (status < 0 || srv->closing)
        return;
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    ds_buf_init(&c->url);
    ds_buf_init(&c->pending);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    if (uv_accept(l, (uv_stream_t *)&c->tcp)) {
        conn_close(c);
        return;
    }
    if (srv->nconns > srv->opt.max_connections) {
        ds_warn("http", "refusing a connection: %zu already open", srv->nconns - 1);
        conn_close(c);
        return;
    }
    arm(c, srv->opt.idle_timeout_ms);
    read_start(c);
}

/* ---- public ---------------------------------------------------------------- */

int ds_http_parse_listen(const char *listen, struct sockaddr_storage *addr, char *err, size_t errlen)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon) {
        snprintf(err, errlen, "listen address '%s': expected HOST:PORT", listen ? listen : "");
        return -1;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || errno || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen address '%s': the port must be 0..65535", listen);
        return -1;
    }
    char host[INET6_ADDRSTRLEN + 2];
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof host) {
        snprintf(err, errlen, "listen address '%s': host too long", listen);
        return -1;
    }
    memcpy(host, listen, hl);
    host[hl] = '\0';
    memset(addr, 0, sizeof *addr);
    int rc;
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        rc = uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)addr);
    } else {
        const char *h = hl == 0 ? "0.0.0.0" : strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
        rc = uv_ip4_addr(h, (int)port, (struct sockaddr_in *)addr);
    }
    if (rc) {
        snprintf(err, errlen,
                 "listen address '%s': the host must be an IPv4 address, [IPv6 address], localhost or empty", listen);
        return -1;
    }
    return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
    ds_http *srv = h->data;
    srv->listener_closed = 1;
    maybe_free_server(srv);
}

/* A TCP socket bound to sa, not listening: its fd, or a negative libuv
 * error. Bound here rather than by uv_tcp_bind, which reports a port in use
 * only at uv_listen: a port taken is an error at once, while connections
 * are refused (not left waiting in the backlog) until ds_http_listen. */
static int bind_socket(const struct sockaddr_storage *sa)
{
    int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0)
        return uv_translate_sys_error(errno);
    socklen_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) || bind(fd, (const struct sockaddr *)sa, len)) {
        int e = uv_translate_sys_error(errno);
        close(fd);
        return e;
    }
    return fd;
}

ds_http *ds_http_bind(uv_loop_t *loop, const char *listen, const ds_http_options *opt, ds_http_handler handler,
                       void *opaque, char *err, size_t errlen)
{
    struct sockaddr_storage sa;
    if (ds_http_parse_listen(listen, &sa, err, errlen))
        return NULL;
    ds_http *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    srv->loop = loop;
    srv->handler = handler;
    srv->opaque = opaque;
    if (opt)
        srv->opt = *opt;
    if (!srv->opt.max_connections)
        srv->opt.max_connections = 64;
    if (!srv->opt.max_request_bytes)
        srv->opt.max_request_bytes = 8192;
    if (!srv->opt.request_timeout_ms)
        srv->opt.request_timeout_ms = 10000;
    if (!srv->opt.idle_timeout_ms)
        srv->opt.idle_timeout_ms = 30000;
    ds_buf_init(&srv->body);
    http_parser_settings_init(&srv->settings);
    srv->settings.on_message_begin = on_message_begin;
    srv->settings.on_url = on_url;
    srv->settings.on_header_field = on_header;
    srv->settings.on_header_value = on_header;
    srv->settings.on_body = on_body;
    srv->settings.on_message_complete = on_message_complete;

    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    srv->closing = 1; /* until bound: an error below frees it on close */
    int fd = bind_socket(&sa), rc = fd < 0 ? fd : uv_tcp_open(&srv->listener, fd);
    if (fd >= 0 && rc)
        close(fd);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    if (!rc)
        rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &blen);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s: %s", listen, uv_strerror(rc));
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
        return NULL;
    }
    srv->closing = 0;
    char ip[INET6_ADDRSTRLEN] = "";
    if (bound.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&bound, ip, sizeof ip);
        srv->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        snprintf(srv->addr, sizeof srv->addr, "[%s]:%d", ip, srv->port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&bound, ip, sizeof ip);
        srv->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        snprintf(srv->addr, sizeof srv->addr, "%s:%d", ip, srv->port);
    }
    return srv;
}

int ds_http_listen(ds_http *http, char *err, size_t errlen)
{
    int rc = uv_listen((uv_stream_t *)&http->listener, LISTEN_BACKLOG, on_connection);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s: %s", http->addr, uv_strerror(rc));
        return -1;
    }
    return 0;
}

ds_http *ds_http_start(uv_loop_t *loop, const char *listen, const ds_http_options *opt, ds_http_handler handler,
                       void *opaque, char *err, size_t errlen)
{
    ds_http *http = ds_http_bind(loop, listen, opt, handler, opaque, err, errlen);
    if (http && ds_http_listen(http, err, errlen)) {
        ds_http_close(http);
        return NULL;
    }
    return http;
}

const char *ds_http_address(const ds_http *http) { return http->addr; }

int ds_http_port(const ds_http *http) { return http->port; }

size_t ds_http_connections(const ds_http *http) { return http->nconns; }

void ds_http_close(ds_http *http)
{
    if (!http || http->closing)
        return;
    http->closing = 1;
    while (http->conns)
        conn_close(http->conns);
    uv_close((uv_handle_t *)&http->listener, on_listener_closed);
}
