/* Schema registry client against a small registry started by the test: a
 * plain socket server on 127.0.0.1 in a thread, implementing
 *   POST /subjects/<subject>/versions and GET /schemas/ids/<id>
 * with request counters, optional basic auth, injected 503s, and a stop and
 * restart on the same port for "registry down, then up". Then produce and
 * consume through the embedded broker with Confluent framing. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "broker.h"
#include "codec.h"
#include "config.h"
#include "consume.h"
#include "registry.h"
#include "replay.h"
#include "testutil.h"
#include "util.h"

/* ---- the test registry ---------------------------------------------------- */

typedef struct srv {
    int port;
    int lfd;
    pthread_t th;
    atomic_int running;
    pthread_mutex_t mu;
    int gets, posts;
    int fail_next;            /* answer 503 to this many requests */
    const char *require_auth; /* expected Authorization header value, or NULL */
    char last_auth[256];
    char *schemas[32]; /* id = index + 1 */
    char *subjects[32];
    int nschemas;
    int forget; /* GET answers 404 for every id */
    int fail_gets; /* GET answers 503 while set */
} srv;

static void srv_reply(int fd, int status, const char *body)
{
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : status == 401 ? "Unauthorized"
                       : status == 409 ? "Conflict" : "Service Unavailable";
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/vnd.schemaregistry.v1+json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, reason, strlen(body));
    if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) {
        /* the client went away */
    }
}

static void srv_handle(srv *s, int fd)
{
    char req[1 << 16];
    size_t len = 0;
    char *hend = NULL;
    long clen = 0;
    while (len < sizeof req - 1) {
        ssize_t r = read(fd, req + len, sizeof req - 1 - len);
        if (r <= 0)
            return;
        len += (size_t)r;
        req[len] = '\0';
        if (!hend && (hend = strstr(req, "\r\n\r\n"))) {
            char *cl = strcasestr(req, "\r\nContent-Length:");
            clen = cl && cl < hend ? strtol(cl + 17, NULL, 10) : 0;
        }
        if (hend && len >= (size_t)(hend + 4 - req) + (size_t)clen)
            break;
    }
    if (!hend)
        return;
    char method[8], path[512];
    if (sscanf(req, "%7s %511s", method, path) != 2)
        return;
    const char *body = hend + 4;
    char auth[256] = "";
    char *a = strcasestr(req, "\r\nAuthorization: ");
    if (a && a < hend) {
        a += 17;
        size_t al = strcspn(a, "\r");
        snprintf(auth, sizeof auth, "%.*s", (int)al, a);
    }

    pthread_mutex_lock(&s->mu);
    snprintf(s->last_auth, sizeof s->last_auth, "%s", auth);
    int status = 200;
    char out[1 << 16];
    snprintf(out, sizeof out, "{}");
    if (strcmp(method, "GET") == 0)
        s->gets++;
    else
        s->posts++;
    if (s->fail_gets && strcmp(method, "GET") == 0) {
        status = 503;
        snprintf(out, sizeof out, "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
    } else if (s->fail_next > 0) {
        s->fail_next--;
        status = 503;
        snprintf(out, sizeof out, "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
    } else if (s->require_auth && strcmp(auth, s->require_auth) != 0) {
        status = 401;
        snprintf(out, sizeof out, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
    } else if (strcmp(method, "GET") == 0 && strncmp(path, "/schemas/ids/", 13) == 0) {
        int id = atoi(path + 13);
        if (s->forget || id < 1 || id > s->nschemas) {
            status = 404;
            snprintf(out, sizeof out, "{\"error_code\":40403,\"message\":\"Schema %d not found\"}", id);
        } else {
            json_t *o = json_pack("{s:s}", "schema", s->schemas[id - 1]);
            char *d = json_dumps(o, JSON_COMPACT);
            snprintf(out, sizeof out, "%s", d);
            free(d);
            json_decref(o);
        }
    } else if (strcmp(method, "POST") == 0 && strncmp(path, "/subjects/", 10) == 0 &&
               strstr(path, "/versions")) {
        json_t *o = json_loads(body, 0, NULL);
        const char *schema = json_string_value(json_object_get(o, "schema"));
        if (strncmp(path + 10, "rejected-value", 14) == 0) {
            status = 409;
            snprintf(out, sizeof out,
                     "{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an "
                     "earlier schema\"}");
        } else if (!schema) {
            status = 422;
            snprintf(out, sizeof out, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
        } else {
            int id = 0;
            for (int i = 0; i < s->nschemas; i++)
                if (strcmp(s->schemas[i], schema) == 0)
                    id = i + 1;
            if (!id && s->nschemas < 32) {
                s->schemas[s->nschemas] = strdup(schema);
                s->subjects[s->nschemas] = strdup(path + 10);
                id = ++s->nschemas;
            }
            snprintf(out, sizeof out, "{\"id\":%d}", id);
        }
        json_decref(o);
    } else {
        status = 404;
        snprintf(out, sizeof out, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    }
    pthread_mutex_unlock(&s->mu);
    srv_reply(fd, status, out);
}

static void *srv_main(void *arg)
{
    srv *s = arg;
    while (s->running) {
        struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        srv_handle(s, fd);
        close(fd);
    }
    return NULL;
}

/* Starts listening on s->port (0: any free port, then s->port is set). */
static void srv_start(srv *s)
{
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->lfd >= 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s->lfd, 16), 0);
    socklen_t sl = sizeof sa;
    getsockname(s->lfd, (struct sockaddr *)&sa, &sl);
    s->port = ntohs(sa.sin_port);
    s->running = 1;
    assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(srv *s)
{
    if (!s->running)
        return;
    s->running = 0;
    pthread_join(s->th, NULL);
    close(s->lfd);
    s->lfd = -1;
}

static srv *srv_new(void)
{
    srv *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    srv_start(s);
    return s;
}

static void srv_free(srv *s)
{
    srv_stop(s);
    for (int i = 0; i < s->nschemas; i++) {
        free(s->schemas[i]);
        free(s->subjects[i]);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int srv_count(srv *s, int gets)
{
    pthread_mutex_lock(&s->mu);
    int n = gets ? s->gets : s->posts;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void srv_url(srv *s, char *out, size_t cap) { snprintf(out, cap, "http://127.0.0.1:%d/", s->port); }

static atomic_int ready_calls;
static void on_ready(void *opaque)
{
    (void)opaque;
    ready_calls++;
}

static ds_registry *client(srv *s, const char *auth)
{
    char url[64], err[256];
    srv_url(s, url, sizeof url);
    ds_registry_conf conf = {.url = url, .basic_auth = auth, .backoff_min_ms = 20, .backoff_max_ms = 100,
                             .notfound_ttl_ms = 300, .on_ready = on_ready};
    ds_registry *reg = ds_registry_new(&conf, err, sizeof err);
    if (!reg)
        fail_msg("%s", err);
    return reg;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- client --------------------------------------------------------------- */

static void test_register_fetch_cache(void **state)
{
    (void)state;
    srv *s = srv_new();
    ds_registry *reg = client(s, NULL);
    char err[512];
    int32_t id = -1, id2 = -1;
    char subject[64];
    ds_registry_subject("articles", subject, sizeof subject);
    assert_string_equal(subject, "articles-value");
    assert_int_equal(ds_registry_register(reg, subject, ds_schema_json[DS_SCHEMA_ARTICLE], 2000, &id, err,
                                          sizeof err),
                     0);
    assert_int_equal(id, 1);
    assert_string_equal(s->subjects[0], "articles-value/versions");
    /* registering again finds the same id */
    assert_int_equal(ds_registry_register(reg, subject, ds_schema_json[DS_SCHEMA_ARTICLE], 2000, &id2, err,
                                          sizeof err),
                     0);
    assert_int_equal(id2, 1);
    assert_int_equal(srv_count(s, 0), 2);

    /* our own id is known without a request */
    char *schema = NULL;
    assert_int_equal(ds_registry_schema(reg, 1, &schema), 0);
    assert_string_equal(schema, ds_schema_json[DS_SCHEMA_ARTICLE]);
    free(schema);
    assert_int_equal(srv_count(s, 1), 0);

    /* another id: fetched once in the background, then served from the cache */
    pthread_mutex_lock(&s->mu);
    s->schemas[s->nschemas++] = strdup(ds_schema_json[DS_SCHEMA_DEAL_EVENT]);
    pthread_mutex_unlock(&s->mu);
    ready_calls = 0;
    assert_int_equal(ds_registry_schema(reg, 2, &schema), DS_REG_EPENDING);
    assert_null(schema);
    assert_int_equal(ds_registry_schema_wait(reg, 2, 5000, &schema), 0);
    assert_string_equal(schema, ds_schema_json[DS_SCHEMA_DEAL_EVENT]);
    free(schema);
    assert_int_equal(srv_count(s, 1), 1);
    for (int i = 0; i < 100 && ready_calls == 0; i++)
        sleep_ms(10);
    assert_int_equal(ready_calls, 1);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ds_registry_schema(reg, 2, &schema), 0);
        free(schema);
    }
    assert_int_equal(srv_count(s, 1), 1); /* cache hits */
    assert_int_equal(ds_registry_requests(reg), 3);
    ds_registry_destroy(reg);
    srv_free(s);
}

static void test_not_found(void **state)
{
    (void)state;
    srv *s = srv_new();
    ds_registry *reg = client(s, NULL);
    char *schema = NULL;
    assert_int_equal(ds_registry_schema_wait(reg, 99, 5000, &schema), DS_REG_ENOTFOUND);
    assert_int_equal(srv_count(s, 1), 1);
    /* the 404 is believed for a while (notfound_ttl_ms = 300 here) ... */
    assert_int_equal(ds_registry_schema(reg, 99, &schema), DS_REG_ENOTFOUND);
    assert_int_equal(srv_count(s, 1), 1);
    /* ... then asked again: the id may exist by now */
    sleep_ms(350);
    assert_int_equal(ds_registry_schema(reg, 99, &schema), DS_REG_EPENDING);
    assert_int_equal(ds_registry_schema_wait(reg, 99, 5000, &schema), DS_REG_ENOTFOUND);
    assert_int_equal(srv_count(s, 1), 2);
    assert_null(schema);
    ds_registry_destroy(reg);
    srv_free(s);
}

static void test_down_then_up(void **state)
{
    (void)state;
    srv *s = srv_new();
    s->schemas[s->nschemas++] = strdup(ds_schema_json[DS_SCHEMA_MENTION]);
    ds_registry *reg = client(s, NULL);
    srv_stop(s); /* the port is closed: connections are refused */

    char *schema = NULL;
    ready_calls = 0;
    assert_int_equal(ds_registry_schema(reg, 1, &schema), DS_REG_EPENDING);
    /* retried several times (polled, bounded at 10 s), never given up */
    for (int i = 0; i < 1000 && ds_registry_requests(reg) < 3; i++)
        sleep_ms(10);
    assert_true(ds_registry_requests(reg) >= 3);
    assert_int_equal(ds_registry_schema(reg, 1, &schema), DS_REG_EPENDING);
    assert_int_equal(ds_registry_schema_wait(reg, 1, 50, &schema), DS_REG_ETIMEDOUT);
    assert_int_equal(ready_calls, 0);
    /* registration gives up after its own timeout when the registry stays down */
    char err[512];
    int32_t id;
    assert_int_equal(ds_registry_register(reg, "x-value", ds_schema_json[DS_SCHEMA_STATE], 200, &id, err,
                                          sizeof err),
                     DS_REG_ETIMEDOUT);
    assert_non_null(strstr(err, "127.0.0.1"));

    srv_start(s); /* the same port again */
    assert_int_equal(ds_registry_schema_wait(reg, 1, 5000, &schema), 0);
    assert_string_equal(schema, ds_schema_json[DS_SCHEMA_MENTION]);
    free(schema);
    assert_int_equal(srv_count(s, 1), 1);
    for (int i = 0; i < 100 && ready_calls == 0; i++)
        sleep_ms(10);
    assert_int_equal(ready_calls, 1);

    /* 503s are retried too, for fetches and registrations */
    pthread_mutex_lock(&s->mu);
    s->fail_next = 2;
    pthread_mutex_unlock(&s->mu);
    assert_int_equal(ds_registry_register(reg, "mentions-value", ds_schema_json[DS_SCHEMA_STATE], 5000, &id, err,
                                          sizeof err),
                     0);
    assert_int_equal(id, 2);
    assert_int_equal(srv_count(s, 0), 3);
    ds_registry_destroy(reg);
    srv_free(s);
}

static void test_auth_and_rejection(void **state)
{
    (void)state;
    srv *s = srv_new();
    s->require_auth = "Basic dXNlcjpwYXNz"; /* user:pass */
    char err[512];
    int32_t id;
    ds_registry *reg = client(s, NULL);
    assert_int_equal(ds_registry_register(reg, "a-value", ds_schema_json[DS_SCHEMA_ARTICLE], 2000, &id, err,
                                          sizeof err),
                     DS_REG_EREJECTED);
    assert_non_null(strstr(err, "HTTP 401: Unauthorized"));
    ds_registry_destroy(reg);

    reg = client(s, "user:pass");
    assert_int_equal(ds_registry_register(reg, "a-value", ds_schema_json[DS_SCHEMA_ARTICLE], 2000, &id, err,
                                          sizeof err),
                     0);
    assert_string_equal(s->last_auth, "Basic dXNlcjpwYXNz");
    assert_int_equal(ds_registry_register(reg, "rejected-value", ds_schema_json[DS_SCHEMA_ARTICLE], 2000, &id, err,
                                          sizeof err),
                     DS_REG_EREJECTED);
    assert_non_null(strstr(err, "HTTP 409: Schema being registered is incompatible"));
    ds_registry_destroy(reg);

    char e2[256];
    ds_registry_conf bad = {.url = "ftp://x"};
    assert_null(ds_registry_new(&bad, e2, sizeof e2));
    assert_non_null(strstr(e2, "expected http:// or https://"));
    srv_free(s);
}

static void test_codec_glue(void **state)
{
    (void)state;
    char err[512];
    ds_codec *codec = ds_codec_new(err, sizeof err);
    assert_non_null(codec);
    ds_schema_id sid;
    /* the current schema: only the id is recorded */
    assert_int_equal(ds_registry_codec_add(codec, 7, ds_schema_json[DS_SCHEMA_CANONICAL], &sid, err, sizeof err), 0);
    assert_int_equal(sid, DS_SCHEMA_CANONICAL);
    assert_int_equal(ds_codec_confluent_id(codec, DS_SCHEMA_CANONICAL), 7);
    /* an older writer of ArticleEvent resolves into the current reader */
    char path[1024];
    snprintf(path, sizeof path, "%s/data/ArticleEvent.v1.avsc", tu_test_dir());
    char *v1 = tu_slurp(path, NULL);
    assert_int_equal(ds_registry_codec_add(codec, 8, v1, &sid, err, sizeof err), 0);
    assert_int_equal(sid, DS_SCHEMA_ARTICLE);
    assert_int_equal(ds_codec_confluent_id(codec, DS_SCHEMA_ARTICLE), -1);
    free(v1);
    /* someone else's record */
    assert_int_equal(ds_registry_codec_add(codec, 9,
                                           "{\"type\":\"record\",\"name\":\"Foo\",\"namespace\":\"com.example\","
                                           "\"fields\":[]}",
                                           &sid, err, sizeof err),
                     DS_CODEC_ESCHEMA);
    assert_non_null(strstr(err, "com.example.Foo, not a dealstream record"));
    ds_codec_destroy(codec);
}

/* ---- on an event loop ------------------------------------------------------ */

/* The way an event loop uses the client: look up without blocking, and let
 * on_ready wake the loop through a uv_async_t. While the registry is down the
 * loop keeps turning (a 10 ms timer keeps firing); when it comes back the
 * async callback finds the schema. */
typedef struct loop_ctx {
    uv_loop_t loop;
    uv_async_t async;
    uv_timer_t timer;
    ds_registry *reg;
    srv *s;
    int ticks, asyncs, found, restarted;
} loop_ctx;

static void on_loop_ready(void *opaque) { uv_async_send(&((loop_ctx *)opaque)->async); }

static void loop_close(loop_ctx *c)
{
    uv_close((uv_handle_t *)&c->async, NULL);
    uv_close((uv_handle_t *)&c->timer, NULL);
}

static void on_async(uv_async_t *a)
{
    loop_ctx *c = a->data;
    c->asyncs++;
    char *schema = NULL;
    if (ds_registry_schema(c->reg, 1, &schema) == 0) {
        c->found = strcmp(schema, ds_schema_json[DS_SCHEMA_ARTICLE]) == 0;
        free(schema);
        loop_close(c);
    }
}

static void on_tick(uv_timer_t *t)
{
    loop_ctx *c = t->data;
    c->ticks++;
    if (c->ticks == 30 && !c->restarted) {
        /* 300 ms of outage, the loop never stalled: bring the registry back */
        srv_start(c->s);
        c->restarted = 1;
    }
    if (c->ticks > 1000) {
        /* 10 s: give up (the asserts below fail); stop the worker first so
         * that on_ready cannot touch the closed async handle */
        ds_registry_destroy(c->reg);
        c->reg = NULL;
        loop_close(c);
    }
}

static void test_event_loop(void **state)
{
    (void)state;
    srv *s = srv_new();
    s->schemas[s->nschemas++] = strdup(ds_schema_json[DS_SCHEMA_ARTICLE]);
    srv_stop(s);
    loop_ctx c = {.s = s};
    assert_int_equal(uv_loop_init(&c.loop), 0);
    assert_int_equal(uv_async_init(&c.loop, &c.async, on_async), 0);
    assert_int_equal(uv_timer_init(&c.loop, &c.timer), 0);
    c.async.data = c.timer.data = &c;
    char url[64], err[256];
    srv_url(s, url, sizeof url);
    ds_registry_conf conf = {.url = url, .backoff_min_ms = 20, .backoff_max_ms = 50, .on_ready = on_loop_ready,
                             .opaque = &c};
    c.reg = ds_registry_new(&conf, err, sizeof err);
    assert_non_null(c.reg);
    char *schema = NULL;
    int64_t t0 = ds_mono_ms();
    assert_int_equal(ds_registry_schema(c.reg, 1, &schema), DS_REG_EPENDING);
    assert_true(ds_mono_ms() - t0 < 50); /* asking does not wait for the network */
    assert_int_equal(uv_timer_start(&c.timer, on_tick, 10, 10), 0);
    assert_int_equal(uv_run(&c.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(c.found, 1);
    assert_non_null(c.reg);
    assert_int_equal(c.asyncs, 1);
    assert_true(c.ticks >= 30);
    assert_true(ds_registry_requests(c.reg) >= 3); /* retried during the outage */
    assert_int_equal(uv_loop_close(&c.loop), 0);
    ds_registry_destroy(c.reg);
    srv_free(s);
}

/* ---- produce and consume with the registry -------------------------------- */

static int collect(void *opaque, json_t *rec, const rd_kafka_message_t *rkm)
{
    json_array_append(opaque, rec);
    /* the wire form is Confluent framing: 00 + 4-byte id */
    json_object_set_new(rec, "_magic", json_integer(rkm->len ? ((const unsigned char *)rkm->payload)[0] : -1));
    return 0;
}

static json_t *consume_all(const char *brokers, const char *url)
{
    ds_config cfg;
    char err[512];
    char *argv[] = {"consume", "-b", (char *)brokers, "-t", "articles", "-e", "--log-level", "warn",
                    "--schema-registry", (char *)url, NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_CONSUME, 10, argv, err, sizeof err), 0);
    json_t *arr = json_array();
    int rc = ds_consume(&cfg, collect, arr, err, sizeof err);
    if (rc)
        fprintf(stderr, "consume: %s\n", err);
    assert_int_equal(rc, 0);
    ds_config_free(&cfg);
    return arr;
}

static void test_produce_consume_confluent(void **state)
{
    (void)state;
    char err[512];
    const char *topics[] = {"articles", NULL};
    ds_broker *broker = ds_broker_new(1, 2, topics, err, sizeof err);
    assert_non_null(broker);
    const char *bs = ds_broker_bootstraps(broker);
    srv *s = srv_new();
    char url[64];
    srv_url(s, url, sizeof url);

    char sample[1024];
    snprintf(sample, sizeof sample, "%s/../samples/01-k2-signing-planned.txt", tu_test_dir());
    char *args[] = {"--schema-registry", url, sample, NULL};
    assert_int_equal(tu_produce(bs, args), 0);
    assert_int_equal(srv_count(s, 0), 1);
    assert_string_equal(s->subjects[0], "articles-value/versions");

    json_t *recs = consume_all(bs, url);
    assert_int_equal(json_array_size(recs), 1);
    json_t *r = json_array_get(recs, 0);
    assert_int_equal(json_integer_value(json_object_get(r, "_magic")), 0);
    assert_string_equal(json_string_value(json_object_get(r, "article_id")), "01-k2-signing-planned");
    json_decref(recs);
    /* consume's own client fetched the id once */
    assert_int_equal(srv_count(s, 1), 1);

    /* the registry lost the id: the record is shown as an envelope with the error */
    pthread_mutex_lock(&s->mu);
    s->forget = 1;
    pthread_mutex_unlock(&s->mu);
    recs = consume_all(bs, url);
    assert_int_equal(json_array_size(recs), 1);
    r = json_array_get(recs, 0);
    assert_null(json_object_get(r, "article_id"));
    assert_non_null(strstr(json_string_value(json_object_get(r, "error")), "unknown-schema-id"));
    assert_non_null(json_object_get(r, "value_base64"));
    json_decref(recs);

    /* produce fails, sending nothing, when the registry refuses the schema */
    pthread_mutex_lock(&s->mu);
    s->require_auth = "Basic nobody";
    pthread_mutex_unlock(&s->mu);
    assert_int_equal(tu_produce(bs, args), 1);
    srv_free(s);
    ds_broker_destroy(broker);
}

static json_t *consume_topic(const char *brokers, const char *topic, const char *url)
{
    ds_config cfg;
    char err[512];
    char *argv[] = {"consume", "-b", (char *)brokers, "-t", (char *)topic, "-e", "--log-level", "warn",
                    "--schema-registry", (char *)url, NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_CONSUME, 10, argv, err, sizeof err), 0);
    json_t *arr = json_array();
    int rc = ds_consume(&cfg, collect, arr, err, sizeof err);
    if (rc)
        fprintf(stderr, "consume %s: %s\n", topic, err);
    assert_int_equal(rc, 0);
    ds_config_free(&cfg);
    return arr;
}

typedef struct run_arg {
    const char *bs;
    char *url;
    int rc;
    ds_run_stats st;
} run_arg;

static void *run_main(void *arg)
{
    run_arg *a = arg;
    char *extra[] = {"--schema-registry", a->url, NULL};
    a->rc = tu_run(a->bs, &a->st, extra);
    return NULL;
}

/* run with a registry: Confluent-framed articles are decoded through the
 * fetched writer schema; while the registry fails, their partitions are
 * held (nothing dead-lettered, nothing skipped) and processed once it
 * answers; canonical records are written with Confluent framing under the
 * registered CanonicalDeal; an id the registry does not know is
 * dead-lettered. */
static void test_run_confluent(void **state)
{
    (void)state;
    char err[512];
    ds_broker *broker = ds_broker_new(1, 2, ds_broker_default_topics("dealstream"), err, sizeof err);
    assert_non_null(broker);
    const char *bs = ds_broker_bootstraps(broker);
    srv *s = srv_new();
    char url[64];
    srv_url(s, url, sizeof url);
    int n;
    char **seeds = tu_glob(tu_seeds_dir(), "*.txt", &n);
    assert_true(n > 0 && n < 16);
    char *args[20] = {"--schema-registry", url};
    for (int i = 0; i < n; i++)
        args[2 + i] = seeds[i];
    assert_int_equal(tu_produce(bs, args), 0);
    tu_glob_free(seeds);

    pthread_mutex_lock(&s->mu);
    s->fail_gets = 1;
    int gets0 = s->gets;
    pthread_mutex_unlock(&s->mu);
    run_arg ra = {.bs = bs, .url = url};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_main, &ra), 0);
    /* the processor asks, is refused, and asks again: it waits */
    int64_t deadline = ds_mono_ms() + 60000;
    while (srv_count(s, 1) < gets0 + 3 && ds_mono_ms() < deadline)
        sleep_ms(20); /* poll interval of the request count */
    assert_true(srv_count(s, 1) >= gets0 + 3);
    pthread_mutex_lock(&s->mu);
    s->fail_gets = 0;
    pthread_mutex_unlock(&s->mu);
    pthread_join(th, NULL);
    assert_int_equal(ra.rc, 0);
    assert_int_equal(ra.st.consumed, (uint64_t)n);
    assert_int_equal(ra.st.dead_letters, 0);
    assert_true(ra.st.produced > 0);

    /* CanonicalDeal registered under deals.canonical-value; records framed 00 + id */
    int found = 0;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->nschemas; i++)
        found |= strcmp(s->subjects[i], "deals.canonical-value/versions") == 0;
    pthread_mutex_unlock(&s->mu);
    assert_true(found);
    json_t *recs = consume_topic(bs, "deals.canonical", url);
    assert_int_equal(json_array_size(recs), ra.st.produced);
    int k2 = 0;
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r) {
        assert_int_equal(json_integer_value(json_object_get(r, "_magic")), 0);
        const char *usd = json_string_value(json_object_get(json_object_get(r, "value"), "usd"));
        if (usd && strcmp(usd, "6500000000.00") == 0 &&
            json_integer_value(json_object_get(r, "batch")) == 2 &&
            strcmp(json_string_value(json_object_get(r, "system")), "K2") == 0)
            k2++;
    }
    assert_true(k2 >= 1);
    json_decref(recs);

    /* a schema id the registry does not have: dead-lettered, named */
    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(pc, "bootstrap.servers", bs, err, sizeof err), RD_KAFKA_CONF_OK);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof err);
    assert_non_null(p);
    static const char unknown[] = {0, 0, 0, 0, 99, 2, 'x'};
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("articles"), RD_KAFKA_V_PARTITION(0),
                                       RD_KAFKA_V_VALUE((void *)unknown, sizeof unknown),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    assert_int_equal(rd_kafka_flush(p, 10000), 0);
    rd_kafka_destroy(p);
    run_main(&ra);
    assert_int_equal(ra.rc, 0);
    /* (the embedded broker does not store offsets sent in a transaction, so
     * this run reads the seeds again as well: they resolve as duplicates) */
    assert_int_equal(ra.st.consumed, (uint64_t)n + 1);
    assert_int_equal(ra.st.dead_letters, 1);
    json_t *dlq = tu_read_topic(bs, "articles.dlq");
    assert_int_equal(json_array_size(dlq), 1);
    char *d = json_dumps(json_array_get(dlq, 0), 0);
    assert_non_null(strstr(d, "unknown-schema-id"));
    free(d);
    json_decref(dlq);

    /* replay reads the same inputs through the registry and writes its
     * canonical records with Confluent framing too */
    ds_config cfg;
    char *argv[] = {"replay", "-b", (char *)bs, "--catalog", (char *)tu_catalog_dir(), "--log-level", "warn",
                    "--fresh-state", "--output-topic", "replayed", "--schema-registry", url, NULL};
    assert_int_equal(ds_config_parse(&cfg, DS_CMD_REPLAY, 12, argv, err, sizeof err), 0);
    ds_replay_stats rst;
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(ds_replay(&cfg, &rst, devnull), 0);
    fclose(devnull);
    ds_config_free(&cfg);
    assert_int_equal(rst.consumed, (uint64_t)n + 1);
    assert_int_equal(rst.dead_letters, 1);
    recs = consume_topic(bs, "replayed", url);
    assert_int_equal(json_array_size(recs), rst.produced);
    json_array_foreach(recs, i, r)
        assert_int_equal(json_integer_value(json_object_get(r, "_magic")), 0);
    json_decref(recs);
    srv_free(s);
    ds_broker_destroy(broker);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_fetch_cache),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_down_then_up),
        cmocka_unit_test(test_auth_and_rejection),
        cmocka_unit_test(test_codec_glue),
        cmocka_unit_test(test_event_loop),
        cmocka_unit_test(test_produce_consume_confluent),
        cmocka_unit_test(test_run_confluent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
