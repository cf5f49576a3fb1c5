/* http.h: a small HTTP/1.1 server on a libuv loop, for /metrics, /healthz
 * and /readyz.
 *
 * Requests are parsed by libhttp-parser (Debian's libhttp-parser-dev), fed
 * as bytes arrive, so a request split over many reads, and several requests
 * in one read (pipelining), are both fine; responses go out in request
 * order. Only GET and HEAD are served. The server answers, itself:
 *   400  a request the parser rejects (the body names the parser's error),
 *        or a URL it cannot split; the connection is then closed;
 *   404  a path the handler does not know;
 *   405  any other method (with Allow: GET, HEAD);
 *   413  a request (URL, headers and body together) over max_request_bytes;
 *        the connection is then closed.
 * Keep-alive follows the request (HTTP/1.0 closes unless asked to keep it,
 * HTTP/1.1 keeps it unless asked to close). Each connection is bounded:
 * a request must arrive within request_timeout_ms of its first byte, an idle
 * connection is closed after idle_timeout_ms, and once 1 MiB of responses is
 * waiting for a client that does not read, parsing of its pipelined
 * requests pauses until it drains. Connections over max_connections are
 * closed as soon as they are accepted.
 *
 * Handles and memory follow libuv's rules: the server is started on a loop,
 * ds_http_close() closes the listener and every connection, and memory is
 * freed in the close callbacks, so the loop must run after it.
 *
 * @locality the loop's thread, for every function and the handler. */
#ifndef DS_HTTP_H
#define DS_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"

typedef struct ds_http ds_http;

/* What the handler answers. On entry: status 404, content_type NULL (text/plain;
 * charset=utf-8), body empty. A 404 left with an empty body gets the
 * server's "not found" text. For HEAD the body is measured, not sent. */
typedef struct ds_http_reply {
    int status;
    const char *content_type; /* static, or valid until the handler returns */
    ds_buf *body;
} ds_http_reply;

/* Called for each GET or HEAD with the URL's path (no query, not decoded). */
typedef void (*ds_http_handler)(void *opaque, const char *path, ds_http_reply *reply);

typedef struct ds_http_options {
    size_t max_connections;      /* 0: 64 */
    size_t max_request_bytes;    /* 0: 8192 */
    uint64_t request_timeout_ms; /* 0: 10000 */
    uint64_t idle_timeout_ms;    /* 0: 30000 */
} ds_http_options;

/* Parses a listen address: "HOST:PORT", HOST an IPv4 address, "[IPv6]",
 * "localhost" (127.0.0.1) or empty (every IPv4 interface); PORT 0..65535,
 * 0 for an ephemeral port. Returns 0, or -1 with a message in err. */
int ds_http_parse_listen(const char *listen, struct sockaddr_storage *addr, char *err, size_t errlen);

/* Binds to listen (see ds_http_parse_listen) on loop, without accepting
 * yet: connections are refused (not queued unanswered) until ds_http_listen,
 * and a port in use is an error here. opt may be NULL for the defaults.
 * Returns the server, or NULL with a message in err (its handle is then
 * closing, and freed when the loop runs). */
ds_http *ds_http_bind(uv_loop_t *loop, const char *listen, const ds_http_options *opt, ds_http_handler handler,
                      void *opaque, char *err, size_t errlen);
/* Starts accepting on a bound server: call it once the loop runs without
 * blocking, so that every connection accepted is answered promptly.
 * Returns 0, or -1 with a message in err (the server stays bound; close it). */
int ds_http_listen(ds_http *http, char *err, size_t errlen);
/* ds_http_bind then ds_http_listen. Returns the server, or NULL with a
 * message in err (its handle is then closing, and freed when the loop runs). */
ds_http *ds_http_start(uv_loop_t *loop, const char *listen, const ds_http_options *opt, ds_http_handler handler,
                       void *opaque, char *err, size_t errlen);
/* The bound address as "HOST:PORT" (the real port when 0 was asked), and the port. */
const char *ds_http_address(const ds_http *http);
int ds_http_port(const ds_http *http);
/* Connections open now. */
size_t ds_http_connections(const ds_http *http);
/* Stops listening and closes every connection (responses not yet written
 * are dropped). Memory is freed once the loop has run the close callbacks.
 * Accepts NULL; http must not be used afterwards. */
void ds_http_close(ds_http *http);

#endif
