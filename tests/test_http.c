/* Metrics and the HTTP server: the exact Prometheus text of a counter, a
 * labelled gauge and a histogram; the process_* series against this process;
 * the server against well-formed, split,
 * pipelined, oversized and malformed requests over plain sockets, its
 * connection limit, timeouts and clean close; then the processor on the
 * embedded broker with its HTTP server on an ephemeral port, fetched with
 * libcurl while it runs: /readyz 503 while the transactional producer cannot
 * initialise, 200 once it has and the assignment is restored, and /metrics
 * parsed and its key series checked against what the run did. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <uv.h>

#include "article.h"
#include "broker.h"
#include "config.h"
#include "demo.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "process.h"
#include "run.h"
#include "testutil.h"
#include "util.h"

#define IO_TIMEOUT_S 10 /* a socket read or write that takes longer fails the test */
#define DEADLINE_MS 30000

static double test_started; /* wall clock at main(), Unix seconds */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process started at most a few seconds before main() (a loaded machine
 * may be slow to load the binary) and not after it; procfs's boot time is
 * whole seconds, so the start it gives may be up to a second late. */
static int started_in_this_run(double start)
{
    return start > test_started - 5 && start <= test_started + 1;
}

/* ---- metrics ---------------------------------------------------------------- */

static void test_metrics_render(void **state)
{
    (void)state;
    ds_metrics *m = ds_metrics_new();
    assert_non_null(m);
    ds_metric *c = ds_metrics_add(m, DS_METRIC_COUNTER, "dealstream_things_total", "Things seen.", NULL, NULL, 0);
    ds_metric *g = ds_metrics_add(m, DS_METRIC_GAUGE, "dealstream_level", "A level,\nper \\place.", "topic,partition",
                                  NULL, 0);
    static const double bounds[] = {0.25, 1};
    ds_metric *h = ds_metrics_add(m, DS_METRIC_HISTOGRAM, "dealstream_wait_seconds", "Waits.", NULL, bounds, 2);
    ds_metric *empty = ds_metrics_add(m, DS_METRIC_COUNTER, "dealstream_none_total", "Nothing yet.", "topic", NULL, 0);
    assert_non_null(c);
    assert_non_null(g);
    assert_non_null(h);
    assert_non_null(empty);
    ds_series *cs = ds_metric_series(c, NULL);
    ds_series_add(cs, 2);
    ds_series_add(cs, 1);
    const char *a0[] = {"articles", "0"};
    const char *odd[] = {"a\"b\\c\nd", "12"};
    ds_series_set(ds_metric_series(g, a0), 1.5);
    ds_series_set(ds_metric_series(g, odd), -2);
    ds_series_add(ds_metric_series(g, a0), 1); /* the same series again */
    ds_series *hs = ds_metric_series(h, NULL);
    ds_series_observe(hs, 0.25); /* le is inclusive */
    ds_series_observe(hs, 0.5);
    ds_series_observe(hs, 4);
    assert_true(ds_series_value(hs) == 3);
    ds_buf out;
    ds_buf_init(&out);
    assert_int_equal(ds_metrics_render(m, &out), 0);
    const char *want = "# HELP dealstream_things_total Things seen.\n"
                       "# TYPE dealstream_things_total counter\n"
                       "dealstream_things_total 3\n"
                       "# HELP dealstream_level A level,\\nper \\\\place.\n"
                       "# TYPE dealstream_level gauge\n"
                       "dealstream_level{topic=\"articles\",partition=\"0\"} 2.5\n"
                       "dealstream_level{topic=\"a\\\"b\\\\c\\nd\",partition=\"12\"} -2\n"
                       "# HELP dealstream_wait_seconds Waits.\n"
                       "# TYPE dealstream_wait_seconds histogram\n"
                       "dealstream_wait_seconds_bucket{le=\"0.25\"} 1\n"
                       "dealstream_wait_seconds_bucket{le=\"1\"} 2\n"
                       "dealstream_wait_seconds_bucket{le=\"+Inf\"} 3\n"
                       "dealstream_wait_seconds_sum 4.75\n"
                       "dealstream_wait_seconds_count 3\n"
                       "# HELP dealstream_none_total Nothing yet.\n"
                       "# TYPE dealstream_none_total counter\n";
    assert_string_equal(ds_buf_cstr(&out), want);

    /* clearing drops a labelled family's series, zeroes an unlabelled one */
    ds_metric_clear(g);
    ds_metric_clear(c);
    ds_buf_reset(&out);
    assert_int_equal(ds_metrics_render(m, &out), 0);
    assert_null(strstr(ds_buf_cstr(&out), "dealstream_level{"));
    assert_non_null(strstr(ds_buf_cstr(&out), "\ndealstream_things_total 0\n"));

    /* values: shortest round trip, integers plain */
    ds_metric *v = ds_metrics_add(m, DS_METRIC_GAUGE, "dealstream_values", "v", "k", NULL, 0);
    ds_series_set(ds_metric_series1(v, "a"), 0.1);
    ds_series_set(ds_metric_series1(v, "b"), 1e-05);
    ds_series_set(ds_metric_series1(v, "c"), 12345678901.0);
    ds_series_set(ds_metric_series1(v, "d"), INFINITY);
    ds_buf_reset(&out);
    assert_int_equal(ds_metrics_render(m, &out), 0);
    assert_non_null(strstr(out.data, "dealstream_values{k=\"a\"} 0.1\n"));
    assert_non_null(strstr(out.data, "dealstream_values{k=\"b\"} 1e-05\n"));
    assert_non_null(strstr(out.data, "dealstream_values{k=\"c\"} 12345678901\n"));
    assert_non_null(strstr(out.data, "dealstream_values{k=\"d\"} +Inf\n"));
    ds_buf_free(&out);
    ds_metrics_destroy(m);
}

static void test_metrics_rules(void **state)
{
    (void)state;
    ds_metrics *m = ds_metrics_new();
    static const double ok[] = {1, 2}, unordered[] = {2, 1}, dup[] = {1, 1};
    assert_null(ds_metrics_add(m, DS_METRIC_COUNTER, "1abc", "", NULL, NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_COUNTER, "a-b", "", NULL, NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_COUNTER, "x", "", "le", NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_COUNTER, "x", "", "a,b,c,d,e", NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_COUNTER, "x", "", "a,,b", NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_HISTOGRAM, "h", "", NULL, NULL, 0));
    assert_null(ds_metrics_add(m, DS_METRIC_HISTOGRAM, "h", "", NULL, unordered, 2));
    assert_null(ds_metrics_add(m, DS_METRIC_HISTOGRAM, "h", "", NULL, dup, 2));
    assert_non_null(ds_metrics_add(m, DS_METRIC_HISTOGRAM, "h", "", NULL, ok, 2));
    assert_null(ds_metrics_add(m, DS_METRIC_GAUGE, "h", "", NULL, NULL, 0)); /* taken */
    /* a series keeps its address while others are added */
    ds_metric *f = ds_metrics_add(m, DS_METRIC_COUNTER, "per_topic_total", "", "topic", NULL, 0);
    ds_series *first = ds_metric_series1(f, "t0");
    for (int i = 1; i < 100; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", i);
        ds_series_add(ds_metric_series1(f, t), 1);
    }
    assert_ptr_equal(ds_metric_series1(f, "t0"), first);
    assert_null(ds_metric_series1(f, NULL));
    ds_metrics_destroy(m);
    ds_metrics_destroy(NULL);
}

/* The process_* series: every figure read and plausible, and the open
 * descriptors counted exactly (a pipe adds two). */
static void test_process_metrics(void **state)
{
    (void)state;
    ds_metrics *m = ds_metrics_new();
    ds_process_metrics pm;
    assert_int_equal(ds_process_metrics_init(&pm, m), 0);
    assert_true(started_in_this_run(ds_series_value(pm.start_time)));
    assert_int_equal(ds_process_metrics_collect(&pm), 0);
    assert_true(ds_series_value(pm.rss) > 1 << 20); /* this test links libcurl and librdkafka */
    assert_true(ds_series_value(pm.vsize) >= ds_series_value(pm.rss));
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    assert_true(ds_series_value(pm.max_fds) == (double)rl.rlim_cur);
    /* CPU time as the kernel counts it in ticks, against the precise clock */
    struct timespec cpu;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    double precise = (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9;
    double ticks = ds_series_value(pm.cpu);
    assert_true(ticks >= 0 && ticks <= precise + 0.05);
    assert_true(ticks >= precise - 0.05 - 0.1 * precise);

    double fds = ds_series_value(pm.open_fds);
    assert_true(fds >= 3); /* stdin, stdout, stderr at least */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(ds_process_metrics_collect(&pm), 0);
    assert_true(ds_series_value(pm.open_fds) == fds + 2);
    close(p[0]);
    close(p[1]);
    assert_int_equal(ds_process_metrics_collect(&pm), 0);
    assert_true(ds_series_value(pm.open_fds) == fds);

    /* rendered with the names and types Prometheus' own clients use */
    ds_buf out;
    ds_buf_init(&out);
    assert_int_equal(ds_metrics_render(m, &out), 0);
    const char *types[] = {"process_cpu_seconds_total counter",   "process_open_fds gauge",
                           "process_max_fds gauge",               "process_virtual_memory_bytes gauge",
                           "process_resident_memory_bytes gauge", "process_start_time_seconds gauge"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "# TYPE %s\n", types[i]);
        assert_non_null(strstr(ds_buf_cstr(&out), line));
    }
    /* a second registration of the same names is refused */
    ds_process_metrics again;
    assert_int_equal(ds_process_metrics_init(&again, m), -1);
    ds_buf_free(&out);
    ds_metrics_destroy(m);
}

/* ---- the HTTP server, over plain sockets ------------------------------------ */

typedef struct server {
    uv_loop_t loop;
    uv_async_t stop;
    ds_http *http;
    pthread_t th;
    int port;
} server;

static void handler(void *opaque, const char *path, ds_http_reply *rep)
{
    (void)opaque;
    if (strcmp(path, "/ok") == 0) {
        rep->status = 200;
        ds_buf_append_str(rep->body, "hello\n");
    } else if (strncmp(path, "/big/", 5) == 0) {
        /* 64 KiB naming the request, so that order can be checked */
        rep->status = 200;
        ds_buf_printf(rep->body, "%s\n", path);
        while (rep->body->len < 65536)
            ds_buf_putc(rep->body, 'x');
    }
}

static void on_stop(uv_async_t *a)
{
    server *s = a->data;
    ds_http_close(s->http);
    uv_close((uv_handle_t *)&s->stop, NULL);
}

static void *loop_main(void *arg)
{
    server *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

static server *server_start(const ds_http_options *opt)
{
    server *s = calloc(1, sizeof *s);
    char err[256];
    assert_int_equal(uv_loop_init(&s->loop), 0);
    s->http = ds_http_start(&s->loop, "127.0.0.1:0", opt, handler, NULL, err, sizeof err);
    if (!s->http)
        fprintf(stderr, "%s\n", err);
    assert_non_null(s->http);
    s->port = ds_http_port(s->http);
    assert_true(s->port > 0);
    char want[32];
    snprintf(want, sizeof want, "127.0.0.1:%d", s->port);
    assert_string_equal(ds_http_address(s->http), want);
    uv_async_init(&s->loop, &s->stop, on_stop);
    s->stop.data = s;
    assert_int_equal(pthread_create(&s->th, NULL, loop_main, s), 0);
    return s;
}

/* Closes the server with whatever connections are open; the loop must then
 * end with nothing left on it. */
static void server_stop(server *s)
{
    uv_async_send(&s->stop);
    pthread_join(s->th, NULL);
    assert_int_equal(uv_loop_close(&s->loop), 0);
    free(s);
}

typedef struct client {
    int fd;
    char *buf;
    size_t len, cap;
} client;

typedef struct response {
    int status;
    char head[2048];
    char *body;
    size_t blen;
} response;

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    return fd;
}

static client *cl_open(int port)
{
    client *c = calloc(1, sizeof *c);
    c->fd = tcp_connect(port);
    assert_true(c->fd >= 0);
    return c;
}

static void cl_close(client *c)
{
    close(c->fd);
    free(c->buf);
    free(c);
}

static void cl_send(client *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

static void cl_sends(client *c, const char *s) { cl_send(c, s, strlen(s)); }

/* Reads more bytes into the buffer: the count, 0 at EOF (a reset counts as
 * EOF: the server closed with our bytes unread), or fails the test on a
 * timeout. */
static ssize_t cl_fill(client *c)
{
    if (c->cap - c->len < 65536) {
        c->cap = c->cap * 2 + 65536;
        c->buf = realloc(c->buf, c->cap + 1);
    }
    ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    if (n < 0 && errno == ECONNRESET)
        return 0;
    if (n < 0)
        fprintf(stderr, "recv: %s\n", strerror(errno));
    assert_true(n >= 0);
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    return n;
}

/* Reads one response (for HEAD: no body whatever Content-Length says).
 * Returns 0, or -1 at EOF before a whole response. */
static int cl_response(client *c, int head, response *r)
{
    char *end;
    while (!(c->buf && (end = strstr(c->buf, "\r\n\r\n"))))
        if (cl_fill(c) == 0)
            return -1;
    size_t hl = (size_t)(end - c->buf) + 4;
    assert_true(hl < sizeof r->head);
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
    const char *cl = strstr(r->head, "Content-Length: ");
    assert_non_null(cl);
    size_t blen = (size_t)strtoul(cl + 16, NULL, 10);
    r->blen = head ? 0 : blen;
    while (c->len < hl + r->blen)
        if (cl_fill(c) == 0)
            return -1;
    r->body = malloc(r->blen + 1);
    memcpy(r->body, c->buf + hl, r->blen);
    r->body[r->blen] = '\0';
    memmove(c->buf, c->buf + hl + r->blen, c->len - hl - r->blen);
    c->len -= hl + r->blen;
    c->buf[c->len] = '\0';
    return 0;
}

/* One response, checked for status and (when want_body) body. */
static void expect(client *c, int head, int status, const char *want_body)
{
    response r;
    assert_int_equal(cl_response(c, head, &r), 0);
    if (r.status != status)
        fprintf(stderr, "want %d, got:\n%s%s\n", status, r.head, r.body);
    assert_int_equal(r.status, status);
    if (want_body)
        assert_string_equal(r.body, want_body);
    free(r.body);
}

/* The server closed the connection, with nothing more sent. */
static void expect_eof(client *c)
{
    while (cl_fill(c) > 0)
        ;
    assert_int_equal(c->len, 0);
}

static void test_http_requests(void **state)
{
    (void)state;
    server *s = server_start(NULL);
    client *c = cl_open(s->port);

    /* keep-alive: several requests on one connection */
    cl_sends(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    response r;
    assert_int_equal(cl_response(c, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello\n");
    assert_non_null(strstr(r.head, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_non_null(strstr(r.head, "Content-Length: 6\r\n"));
    assert_non_null(strstr(r.head, "Connection: keep-alive\r\n"));
    free(r.body);

    /* a request split over many writes, one byte at a time */
    const char *req = "GET /ok?x=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n";
    for (const char *p = req; *p; p++)
        cl_send(c, p, 1);
    expect(c, 0, 200, "hello\n");

    /* pipelined: three requests in one write, answered in order; HEAD has
     * the GET's Content-Length and no body */
    cl_sends(c, "GET /ok HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nHEAD /ok HTTP/1.1\r\n\r\nGET http://x/ok HTTP/1.1\r\n\r\n");
    expect(c, 0, 200, "hello\n");
    expect(c, 0, 404, "not found: /nope (try /metrics, /healthz, /readyz)\n");
    assert_int_equal(cl_response(c, 1, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Length: 6\r\n"));
    free(r.body);
    expect(c, 0, 200, "hello\n");

    /* other methods: 405 with Allow, and the connection stays usable */
    cl_sends(c, "POST /ok HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloDELETE /ok HTTP/1.1\r\n\r\n");
    assert_int_equal(cl_response(c, 0, &r), 0);
    assert_int_equal(r.status, 405);
    assert_non_null(strstr(r.head, "Allow: GET, HEAD\r\n"));
    assert_string_equal(r.body, "method POST not allowed: GET or HEAD only\n");
    free(r.body);
    expect(c, 0, 405, "method DELETE not allowed: GET or HEAD only\n");

    /* Connection: close is honoured */
    cl_sends(c, "GET /ok HTTP/1.1\r\nConnection: close\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
    assert_int_equal(cl_response(c, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    free(r.body);
    expect_eof(c);
    cl_close(c);

    /* HTTP/1.0 closes unless asked to keep alive */
    c = cl_open(s->port);
    cl_sends(c, "GET /ok HTTP/1.0\r\n\r\n");
    expect(c, 0, 200, "hello\n");
    expect_eof(c);
    cl_close(c);
    c = cl_open(s->port);
    cl_sends(c, "GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /ok HTTP/1.0\r\n\r\n");
    expect(c, 0, 200, "hello\n");
    expect(c, 0, 200, "hello\n");
    expect_eof(c);
    cl_close(c);

    /* a client that half-closes after its requests still gets the answers */
    c = cl_open(s->port);
    cl_sends(c, "GET /ok HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
    shutdown(c->fd, SHUT_WR);
    expect(c, 0, 200, "hello\n");
    expect(c, 0, 200, "hello\n");
    expect_eof(c);
    cl_close(c);
    server_stop(s);
}

/* Each malformed or oversized request gets its status, a body saying why,
 * and the connection closed. */
static void test_http_bad_requests(void **state)
{
    (void)state;
    server *s = server_start(NULL);
    char *long_url = malloc(10001);
    memcpy(long_url, "GET /", 5);
    memset(long_url + 5, 'a', 9995);
    long_url[10000] = '\0';
    char *many_headers = malloc(20000);
    strcpy(many_headers, "GET /ok HTTP/1.1\r\n");
    for (int i = 0; i < 40; i++)
        sprintf(many_headers + strlen(many_headers), "X-Filler-%02d: %0200d\r\n", i, 0);
    strcat(many_headers, "\r\n");
    char *big_body = malloc(10100);
    int n = sprintf(big_body, "GET /ok HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
    memset(big_body + n, 'b', 10000);
    big_body[n + 10000] = '\0';
    struct {
        const char *req;
        int status;
        const char *body_has;
    } cases[] = {
        {"HELLO WORLD\r\n\r\n", 400, "bad request: invalid HTTP method"},
        {"GET /ok HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "bad request: "},
        {"GET /ok HTTP/x.y\r\n\r\n", 400, "bad request: "},
        {"GET /ok HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", 400, "bad request: "},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "bad request: "}, /* TLS to a plain port */
        {long_url, 413, "request too large: over 8192 bytes"},
        {many_headers, 413, "request too large"},
        {big_body, 413, "request too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        client *c = cl_open(s->port);
        /* a good request first: the bad one must not undo it */
        cl_sends(c, "GET /ok HTTP/1.1\r\n\r\n");
        cl_sends(c, cases[i].req);
        expect(c, 0, 200, "hello\n");
        response r;
        assert_int_equal(cl_response(c, 0, &r), 0);
        if (r.status != cases[i].status || !strstr(r.body, cases[i].body_has))
            fprintf(stderr, "case %zu: want %d '%s', got:\n%s%s\n", i, cases[i].status, cases[i].body_has, r.head,
                    r.body);
        assert_int_equal(r.status, cases[i].status);
        assert_non_null(strstr(r.body, cases[i].body_has));
        assert_non_null(strstr(r.head, "Connection: close\r\n"));
        free(r.body);
        expect_eof(c);
        cl_close(c);
    }
    free(long_url);
    free(many_headers);
    free(big_body);
    server_stop(s);
}

/* A client that pipelines far more than the server will queue for it gets
 * every answer, in order, once it reads. */
static void test_http_pipeline_backpressure(void **state)
{
    (void)state;
    server *s = server_start(NULL);
    client *c = cl_open(s->port);
    enum { N = 64 }; /* 64 x 64 KiB: four times what the server queues before pausing */
    char req[64];
    for (int i = 0; i < N; i++) {
        snprintf(req, sizeof req, "GET /big/%d HTTP/1.1\r\n\r\n", i);
        cl_sends(c, req);
    }
    for (int i = 0; i < N; i++) {
        response r;
        assert_int_equal(cl_response(c, 0, &r), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.blen, 65536);
        char want[32];
        snprintf(want, sizeof want, "/big/%d\n", i);
        assert_memory_equal(r.body, want, strlen(want));
        free(r.body);
    }
    cl_close(c);
    server_stop(s);
}

/* Connections over the limit are closed at once; a slot frees when one closes. */
static void test_http_connection_limit(void **state)
{
    (void)state;
    ds_http_options opt = {.max_connections = 3};
    server *s = server_start(&opt);
    client *cs[3];
    for (int i = 0; i < 3; i++) {
        cs[i] = cl_open(s->port);
        cl_sends(cs[i], "GET /ok HTTP/1.1\r\n\r\n");
        expect(cs[i], 0, 200, "hello\n"); /* accepted and served */
    }
    client *extra = cl_open(s->port); /* the kernel completes the handshake; the server closes it */
    cl_sends(extra, "GET /ok HTTP/1.1\r\n\r\n");
    expect_eof(extra);
    cl_close(extra);
    cl_close(cs[0]);
    /* the server sees the close on its own time: retry until a slot is free */
    int64_t deadline = ds_mono_ms() + DEADLINE_MS;
    int served = 0;
    while (!served && ds_mono_ms() < deadline) {
        client *c = cl_open(s->port);
        cl_sends(c, "GET /ok HTTP/1.1\r\n\r\n");
        response r;
        if (cl_response(c, 0, &r) == 0) {
            assert_int_equal(r.status, 200);
            free(r.body);
            served = 1;
        }
        cl_close(c);
    }
    assert_true(served);
    /* cs[1] and cs[2] stay open: closing the server closes them */
    server_stop(s);
    cl_close(cs[1]);
    cl_close(cs[2]);
}

/* A request that does not complete in time, and an idle connection, are closed. */
static void test_http_timeouts(void **state)
{
    (void)state;
    ds_http_options opt = {.request_timeout_ms = 100, .idle_timeout_ms = 100};
    server *s = server_start(&opt);
    client *slow = cl_open(s->port);
    cl_sends(slow, "GET /ok HTTP/1.1\r\nHo");
    client *idle = cl_open(s->port);
    cl_sends(idle, "GET /ok HTTP/1.1\r\n\r\n");
    expect(idle, 0, 200, "hello\n");
    expect_eof(slow); /* within IO_TIMEOUT_S, or the test fails */
    expect_eof(idle);
    cl_close(slow);
    cl_close(idle);
    server_stop(s);
}

static void test_http_listen_addresses(void **state)
{
    (void)state;
    struct sockaddr_storage sa;
    char err[256];
    assert_int_equal(ds_http_parse_listen("127.0.0.1:9464", &sa, err, sizeof err), 0);
    assert_int_equal(sa.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9464);
    assert_int_equal(ds_http_parse_listen("[::1]:0", &sa, err, sizeof err), 0);
    assert_int_equal(sa.ss_family, AF_INET6);
    assert_int_equal(ds_http_parse_listen(":80", &sa, err, sizeof err), 0);
    assert_int_equal(((struct sockaddr_in *)&sa)->sin_addr.s_addr, htonl(INADDR_ANY));
    assert_int_equal(ds_http_parse_listen("localhost:1", &sa, err, sizeof err), 0);
    assert_int_equal(((struct sockaddr_in *)&sa)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8x",
                         "example.org:80", "[::1:80", "::1:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(ds_http_parse_listen(bad[i], &sa, err, sizeof err), -1);
        assert_non_null(strstr(err, bad[i]));
    }

    /* a port in use is refused at start, with nothing left on the loop */
    server *s = server_start(NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", s->port);
    assert_null(ds_http_start(&loop, addr, NULL, handler, NULL, err, sizeof err));
    assert_non_null(strstr(err, "address already in use"));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    server_stop(s);
}

/* ---- Prometheus text, parsed ------------------------------------------------- */

typedef struct sample {
    char name[128];
    char labels[512]; /* as written between the braces, "" when none */
    double value;
} sample;

typedef struct scrape {
    sample *v;
    size_t n;
} scrape;

static int name_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/* The family a sample belongs to: histogram samples end in _bucket, _sum or
 * _count. */
static const char *type_of(char (*types)[2][128], size_t ntypes, const char *name)
{
    for (size_t i = 0; i < ntypes; i++) {
        const char *fam = types[i][0], *type = types[i][1];
        size_t fl = strlen(fam);
        if (strcmp(name, fam) == 0)
            return type;
        if (strcmp(type, "histogram") == 0 && strncmp(name, fam, fl) == 0 &&
            (strcmp(name + fl, "_bucket") == 0 || strcmp(name + fl, "_sum") == 0 || strcmp(name + fl, "_count") == 0))
            return type;
    }
    return NULL;
}

/* Parses the text format 0.0.4 strictly: every line a # HELP, a # TYPE (once
 * per family, before its samples) or a sample `name{l="v",...} value`, whose
 * family has a TYPE. Fails the test on anything else. */
static scrape parse_metrics(const char *text)
{
    scrape sc = {calloc(4096, sizeof(sample)), 0};
    static char types[512][2][128];
    size_t ntypes = 0;
    int lineno = 0;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        assert_non_null(eol); /* every line ends with \n */
        lineno++;
        char buf[4096];
        size_t len = (size_t)(eol - line);
        assert_true(len < sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = eol + 1;
        if (strncmp(buf, "# HELP ", 7) == 0)
            continue;
        if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[128], type[32];
            assert_int_equal(sscanf(buf + 7, "%127s %31s", name, type), 2);
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 || strcmp(type, "histogram") == 0);
            for (size_t i = 0; i < ntypes; i++)
                assert_string_not_equal(types[i][0], name);
            assert_true(ntypes < 512);
            snprintf(types[ntypes][0], 128, "%s", name);
            snprintf(types[ntypes][1], 128, "%s", type);
            ntypes++;
            continue;
        }
        if (buf[0] == '#')
            continue;
        sample *s = &sc.v[sc.n];
        const char *p = buf;
        size_t nl = 0;
        while (name_char(*p, nl == 0) && nl < sizeof s->name - 1)
            s->name[nl++] = *p++;
        s->name[nl] = '\0';
        if (nl == 0)
            fprintf(stderr, "line %d: no metric name: %s\n", lineno, buf);
        assert_true(nl > 0);
        if (!type_of(types, ntypes, s->name))
            fprintf(stderr, "line %d: %s has no TYPE before it\n", lineno, s->name);
        assert_non_null(type_of(types, ntypes, s->name));
        if (*p == '{') {
            const char *start = ++p;
            for (;;) {
                int first = 1;
                while (name_char(*p, first) && *p != ':') {
                    p++;
                    first = 0;
                }
                assert_false(first);
                assert_int_equal(*p++, '=');
                assert_int_equal(*p++, '"');
                while (*p && *p != '"') {
                    if (*p == '\\') {
                        p++;
                        assert_true(*p == '\\' || *p == '"' || *p == 'n');
                    }
                    p++;
                }
                assert_int_equal(*p++, '"');
                if (*p == ',') {
                    p++;
                    continue;
                }
                assert_int_equal(*p, '}');
                break;
            }
            size_t ll = (size_t)(p - start);
            assert_true(ll < sizeof s->labels);
            memcpy(s->labels, start, ll);
            s->labels[ll] = '\0';
            p++;
        }
        assert_int_equal(*p++, ' ');
        char *end;
        if (strcmp(p, "+Inf") == 0) {
            s->value = INFINITY;
        } else if (strcmp(p, "-Inf") == 0) {
            s->value = -INFINITY;
        } else if (strcmp(p, "NaN") == 0) {
            s->value = NAN;
        } else {
            s->value = strtod(p, &end);
            if (end == p || *end)
                fprintf(stderr, "line %d: bad value: %s\n", lineno, buf);
            assert_true(end != p && *end == '\0');
        }
        sc.n++;
        assert_true(sc.n < 4096);
    }
    return sc;
}

/* The value of name{labels}, NAN when absent. */
static double get(const scrape *sc, const char *name, const char *labels)
{
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->v[i].name, name) == 0 && strcmp(sc->v[i].labels, labels) == 0)
            return sc->v[i].value;
    return NAN;
}

/* Sum and count of every sample of name. */
static double sum_of(const scrape *sc, const char *name, size_t *count)
{
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < sc->n; i++)
        if (strcmp(sc->v[i].name, name) == 0) {
            s += sc->v[i].value;
            n++;
        }
    if (count)
        *count = n;
    return s;
}

/* The buckets of histogram name: cumulative, ending with +Inf equal to _count. */
static void check_histogram(const scrape *sc, const char *name)
{
    char bucket[160], count[160];
    snprintf(bucket, sizeof bucket, "%s_bucket", name);
    snprintf(count, sizeof count, "%s_count", name);
    double last = 0;
    size_t nb = 0;
    for (size_t i = 0; i < sc->n; i++) {
        if (strcmp(sc->v[i].name, bucket) != 0)
            continue;
        assert_true(sc->v[i].value >= last);
        last = sc->v[i].value;
        nb++;
    }
    assert_true(nb >= 2);
    char inf[160];
    snprintf(inf, sizeof inf, "le=\"+Inf\"");
    assert_true(get(sc, bucket, inf) == get(sc, count, ""));
}

/* ---- the processor, fetched over HTTP while it runs ---------------------------- */

typedef struct fetched {
    long status;
    char *body;
    size_t len;
    char ctype[128];
} fetched;

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    fetched *f = opaque;
    f->body = realloc(f->body, f->len + size * n + 1);
    memcpy(f->body + f->len, p, size * n);
    f->len += size * n;
    f->body[f->len] = '\0';
    return size * n;
}

static fetched fetch(int port, const char *path)
{
    fetched f = {0};
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        fprintf(stderr, "GET %s: %s\n", url, curl_easy_strerror(rc));
    assert_int_equal(rc, CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &f.status);
    char *ct = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(f.ctype, sizeof f.ctype, "%s", ct ? ct : "");
    curl_easy_cleanup(curl);
    if (!f.body)
        f.body = calloc(1, 1);
    return f;
}

typedef struct processor {
    ds_config cfg;
    ds_run_stats st;
    int rc;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int port; /* 0 until the server listens */
} processor;

static void on_listening(void *opaque, const char *address, int port)
{
    processor *pr = opaque;
    assert_non_null(strstr(address, "127.0.0.1:"));
    pthread_mutex_lock(&pr->mu);
    pr->port = port;
    pthread_cond_signal(&pr->cv);
    pthread_mutex_unlock(&pr->mu);
}

static void *processor_main(void *arg)
{
    processor *pr = arg;
    ds_run_hooks hooks = {on_listening, pr};
    pr->rc = ds_run_with(&pr->cfg, &pr->st, &hooks);
    pthread_mutex_lock(&pr->mu);
    if (!pr->port)
        pr->port = -1; /* ended before listening */
    pthread_cond_signal(&pr->cv);
    pthread_mutex_unlock(&pr->mu);
    return NULL;
}

/* The quiet point: every input consumed and every mention resolved, every
 * output delivered, a transaction committed, and every assigned partition
 * at lag 0. */
static int settled(const scrape *sc, int nfiles)
{
    size_t nlag;
    double lag = sum_of(sc, "dealstream_consumer_lag_messages", &nlag);
    double out_mentions = get(sc, "dealstream_messages_out_total", "topic=\"dealstream-mentions\"");
    /* the mentions consumed back are resolved in a batch whose changelog
     * records go out when it closes, a commit interval later */
    return get(sc, "dealstream_messages_in_total", "topic=\"articles\"") == nfiles && out_mentions > 0 &&
           get(sc, "dealstream_messages_out_total", "topic=\"dealstream-state\"") >= 1 &&
           get(sc, "dealstream_messages_in_total", "topic=\"dealstream-mentions\"") == out_mentions &&
           get(sc, "dealstream_mentions_extracted_total", "") == out_mentions &&
           get(sc, "dealstream_producer_queue_messages", "") == 0 &&
           get(sc, "dealstream_transactions_total", "result=\"committed\"") >= 1 && lag == 0 &&
           (double)nlag == get(sc, "dealstream_assigned_partitions", "") && nlag > 0;
}

#define API_INIT_PRODUCER_ID 22

static void test_run_metrics(void **state)
{
    (void)state;
    int nfiles;
    char err[256];
    char **files = tu_glob(tu_seeds_dir(), "*.txt", &nfiles);
    if (nfiles == 0) {
        /* without the seeds, the samples of the repository */
        tu_glob_free(files);
        files = tu_glob(DS_SOURCE_DIR "/samples", "*.txt", &nfiles);
    }
    assert_true(nfiles > 0);
    /* and an article without a date line, which run counts */
    char undated[] = "/tmp/ds-test-undated-XXXXXX";
    int ufd = mkstemp(undated);
    assert_true(ufd >= 0);
    const char *calm = "Markets were calm on Tuesday and no contract was signed.\n";
    assert_int_equal(write(ufd, calm, strlen(calm)), (ssize_t)strlen(calm));
    close(ufd);
    files = realloc(files, (size_t)(nfiles + 2) * sizeof *files);
    files[nfiles++] = strdup(undated);
    files[nfiles] = NULL;
    int nundated = 0;
    for (int i = 0; i < nfiles; i++) {
        size_t len;
        char *text = ds_read_file(files[i], &len);
        ds_text_article ta;
        assert_non_null(text);
        nundated += ds_article_parse_text(text, len, &ta, err, sizeof err) == 0 && ta.published == DS_NO_TIME;
        free(text);
    }
    assert_true(nundated >= 1);
    ds_broker *b = ds_broker_new(1, 4, ds_broker_default_topics("dealstream"), err, sizeof err);
    assert_non_null(b);
    const char *bs = ds_broker_bootstraps(b);
    assert_int_equal(tu_produce(bs, files), 0);
    /* until these are cleared, the transactional producer cannot initialise */
    rd_kafka_resp_err_t errs[1000];
    for (size_t i = 0; i < 1000; i++)
        errs[i] = RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    rd_kafka_mock_push_request_errors_array(ds_broker_cluster(b), API_INIT_PRODUCER_ID, 1000, errs);

    processor *pr = calloc(1, sizeof *pr);
    pthread_mutex_init(&pr->mu, NULL);
    pthread_cond_init(&pr->cv, NULL);
    char *argv[] = {"run", "-b", (char *)bs, "--catalog", (char *)tu_catalog_dir(), "--log-level", "warn",
                    "--commit-interval-ms", "50", "--http-listen", "127.0.0.1:0", "-X", "session.timeout.ms=6000",
                    "-X", "heartbeat.interval.ms=500", NULL};
    assert_int_equal(ds_config_parse(&pr->cfg, DS_CMD_RUN, 15, argv, err, sizeof err), 0);
    assert_int_equal(pthread_create(&pr->th, NULL, processor_main, pr), 0);
    pthread_mutex_lock(&pr->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DEADLINE_MS / 1000;
    while (pr->port == 0 && pthread_cond_timedwait(&pr->cv, &pr->mu, &until) == 0)
        ;
    int port = pr->port;
    pthread_mutex_unlock(&pr->mu);
    assert_true(port > 0);

    /* alive, not ready: the producer cannot initialise its transactions */
    fetched f = fetch(port, "/healthz");
    assert_int_equal(f.status, 200);
    assert_string_equal(f.body, "ok\n");
    free(f.body);
    f = fetch(port, "/readyz");
    assert_int_equal(f.status, 503);
    assert_string_equal(f.body, "initialising the transactional producer\n");
    free(f.body);
    f = fetch(port, "/metrics");
    assert_int_equal(f.status, 200);
    assert_string_equal(f.ctype, "text/plain; version=0.0.4; charset=utf-8");
    scrape sc = parse_metrics(f.body);
    assert_true(get(&sc, "dealstream_ready", "") == 0);
    assert_true(get(&sc, "dealstream_build_info", "version=\"0.1.0\",guarantee=\"exactly-once\"") == 1);
    free(sc.v);
    free(f.body);

    /* ready once initialised and the assignment restored */
    rd_kafka_mock_clear_request_errors(ds_broker_cluster(b), API_INIT_PRODUCER_ID);
    int64_t deadline = ds_mono_ms() + DEADLINE_MS;
    long ready = 0;
    while (ready != 200 && ds_mono_ms() < deadline) {
        f = fetch(port, "/readyz");
        ready = f.status;
        if (ready == 200)
            assert_string_equal(f.body, "ready\n");
        else
            usleep(20000); /* poll, bounded by the deadline */
        free(f.body);
    }
    assert_int_equal(ready, 200);

    /* scrape until the seeds are processed */
    int done = 0;
    while (!done && ds_mono_ms() < deadline) {
        f = fetch(port, "/metrics");
        assert_int_equal(f.status, 200);
        sc = parse_metrics(f.body);
        done = settled(&sc, nfiles);
        if (!done) {
            free(sc.v);
            free(f.body);
            usleep(20000);
        }
    }
    if (!done)
        fprintf(stderr, "never settled; last scrape:\n%s", f.body);
    assert_true(done);
    free(f.body);

    /* what the run did, as the series tell it */
    assert_true(get(&sc, "dealstream_messages_in_total", "topic=\"articles\"") == nfiles);
    assert_true(get(&sc, "dealstream_messages_in_total", "topic=\"deals\"") == 0);
    assert_true(get(&sc, "dealstream_articles_undated_total", "") == nundated);
    double mentions = get(&sc, "dealstream_messages_in_total", "topic=\"dealstream-mentions\"");
    double canonical = get(&sc, "dealstream_messages_out_total", "topic=\"deals.canonical\"");
    assert_true(canonical >= 1);
    /* one changelog record per block and batch: at least one, at most one per
     * mention, and one per block of the reference table's rows (written by
     * the restores that published their deals) */
    double rows = (double)tu_reference_rows();
    double state_out = get(&sc, "dealstream_messages_out_total", "topic=\"dealstream-state\"");
    assert_true(state_out >= 1 && state_out <= mentions + rows);
    size_t n;
    assert_true(sum_of(&sc, "dealstream_dead_letters_total", &n) == 0);
    assert_int_equal(n, 3); /* one per input topic, at 0 */
    assert_true(get(&sc, "dealstream_messages_out_total", "topic=\"articles.dlq\"") == 0);
    assert_true(get(&sc, "dealstream_delivery_failures_total", "") == 0);
    check_histogram(&sc, "dealstream_extract_duration_seconds");
    check_histogram(&sc, "dealstream_resolve_duration_seconds");
    check_histogram(&sc, "dealstream_transaction_commit_duration_seconds");
    check_histogram(&sc, "dealstream_state_restore_duration_seconds");
    assert_true(get(&sc, "dealstream_extract_duration_seconds_count", "") == nfiles);
    assert_true(get(&sc, "dealstream_extract_duration_seconds_sum", "") > 0);
    assert_true(get(&sc, "dealstream_resolve_duration_seconds_count", "") == mentions);
    double committed = get(&sc, "dealstream_transactions_total", "result=\"committed\"");
    assert_true(committed >= 1);
    assert_true(get(&sc, "dealstream_transaction_commit_duration_seconds_count", "") == committed);
    assert_true(get(&sc, "dealstream_commits_total", "") == committed);
    assert_true(get(&sc, "dealstream_transactions_total", "result=\"aborted\"") == 0);
    assert_true(get(&sc, "dealstream_rebalances_total", "event=\"assign\"") >= 1);
    /* one restore per mentions partition: all 4 are ours */
    assert_true(get(&sc, "dealstream_state_restore_duration_seconds_count", "") == 4);
    assert_true(get(&sc, "dealstream_assigned_partitions", "") == 12);
    assert_true(get(&sc, "dealstream_state_mentions", "") == mentions);
    assert_true(get(&sc, "dealstream_state_blocks", "") >= 1);
    assert_true(get(&sc, "dealstream_consumer_lag_messages", "topic=\"articles\",partition=\"0\"") == 0);
    assert_true(sum_of(&sc, "dealstream_consumer_time_lag_seconds", &n) == 0);
    assert_int_equal(n, 12);
    assert_true(get(&sc, "dealstream_ready", "") == 1);
    /* the process_* series of this process, which runs the processor */
    assert_true(started_in_this_run(get(&sc, "process_start_time_seconds", "")));
    assert_true(get(&sc, "process_resident_memory_bytes", "") > 1 << 20);
    assert_true(get(&sc, "process_virtual_memory_bytes", "") >= get(&sc, "process_resident_memory_bytes", ""));
    assert_true(get(&sc, "process_cpu_seconds_total", "") > 0);
    /* the listener, the scrape's connection, the brokers' sockets */
    assert_true(get(&sc, "process_open_fds", "") > 5);
    assert_true(get(&sc, "process_max_fds", "") >= get(&sc, "process_open_fds", ""));
    double deals = get(&sc, "dealstream_state_deals", "");
    f = fetch(port, "/healthz");
    assert_int_equal(f.status, 200);
    free(f.body);

    /* SIGTERM: the ordered shutdown closes the server with the rest */
    kill(getpid(), SIGTERM);
    pthread_join(pr->th, NULL);
    assert_int_equal(pr->rc, 0);
    assert_int_equal(pr->st.consumed, (uint64_t)nfiles);
    assert_int_equal(pr->st.undated, (uint64_t)nundated);
    assert_true((double)pr->st.produced == canonical);
    assert_true((double)pr->st.resolved == mentions);
    int fd = tcp_connect(port);
    if (fd >= 0)
        close(fd);
    assert_int_equal(fd, -1); /* the listener is gone */

    /* and as the topics tell it */
    json_t *recs = tu_read_topic(bs, "deals.canonical");
    assert_true((double)json_array_size(recs) == canonical);
    json_t *live = ds_demo_canonical(bs, "deals.canonical", err, sizeof err);
    assert_non_null(live);
    assert_true((double)json_object_size(live) == deals);
    json_decref(live);
    json_decref(recs);

    free(sc.v);
    ds_config_free(&pr->cfg);
    pthread_mutex_destroy(&pr->mu);
    pthread_cond_destroy(&pr->cv);
    free(pr);
    tu_glob_free(files);
    unlink(undated);
    ds_broker_destroy(b);
}

int main(void)
{
    test_started = wall_now();
    ds_log_setup("warn", "text");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_metrics_rules),
        cmocka_unit_test(test_process_metrics),
        cmocka_unit_test(test_http_requests),
        cmocka_unit_test(test_http_bad_requests),
        cmocka_unit_test(test_http_pipeline_backpressure),
        cmocka_unit_test(test_http_connection_limit),
        cmocka_unit_test(test_http_timeouts),
        cmocka_unit_test(test_http_listen_addresses),
        cmocka_unit_test(test_run_metrics),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
