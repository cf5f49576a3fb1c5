/* registry.c: schema-registry client (see registry.h).
 *
 * The cache is a small array (a deployment has a handful of schema ids)
 * guarded by one mutex. The worker thread owns one CURL easy handle for
 * fetches; ds_registry_register() uses its own handle on the caller's thread.
 * Both wait on condition variables bound to CLOCK_MONOTONIC. */
#include "registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "util.h"

typedef enum { ENT_PENDING, ENT_READY, ENT_NOTFOUND } ent_state;

typedef struct entry {
    int32_t id;
    ent_state state;
    char *schema;       /* ENT_READY */
    int64_t next_try;   /* ENT_PENDING: monotonic ms of the next attempt */
    int64_t expires;    /* ENT_NOTFOUND: monotonic ms when the 404 is forgotten */
    int attempts;       /* failed attempts in a row */
} entry;

struct ds_registry {
    char *url; /* without a trailing '/' */
    char *basic_auth;
    char *ca_location;
    int backoff_min_ms, backoff_max_ms, request_timeout_ms, notfound_ttl_ms;
    void (*on_ready)(void *opaque);
    void *opaque;

    pthread_mutex_t mu;
    pthread_cond_t work; /* worker: a new id to fetch, or stop */
    pthread_cond_t done; /* waiters: a fetch finished */
    entry *ents;
    size_t nents, capents;
    long requests;
    int stop;
    pthread_t thread;
    int thread_started;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }

const char *ds_registry_strerror(int err)
{
    switch (err) {
    case DS_REG_OK: return "ok";
    case DS_REG_EPENDING: return "pending";
    case DS_REG_ENOTFOUND: return "not-found";
    case DS_REG_ETIMEDOUT: return "timed-out";
    case DS_REG_EREJECTED: return "rejected";
    case DS_REG_EINVAL: return "invalid-argument";
    case DS_REG_ENOMEM: return "out-of-memory";
    }
    return "unknown-error";
}

void ds_registry_subject(const char *topic, char *out, size_t cap) { snprintf(out, cap, "%s-value", topic); }

/* ---- HTTP ----------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    ds_buf *b = opaque;
    if (b->len + size * n > (size_t)16 << 20) /* a schema is not 16 MB */
        return 0;
    return ds_buf_append(b, p, size * n) ? 0 : size * n;
}

static int on_progress(void *opaque, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    ds_registry *reg = opaque;
    pthread_mutex_lock(&reg->mu);
    int stop = reg->stop;
    pthread_mutex_unlock(&reg->mu);
    return stop; /* non-zero aborts the transfer */
}

/* One request. Returns 0 with the HTTP status in *status and the body in
 * resp, or -1 when no HTTP answer came (message in err). */
static int http(ds_registry *reg, CURL *c, const char *path, const char *post, long *status, ds_buf *resp,
                char *err, size_t errlen)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", reg->url, path);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/vnd.schemaregistry.v1+json, "
                                                      "application/json");
    if (post)
        hdrs = curl_slist_append(hdrs, "Content-Type: application/vnd.schemaregistry.v1+json");
    ds_buf_reset(resp);
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(reg->request_timeout_ms < 5000 ? reg->request_timeout_ms : 5000));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)reg->request_timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, reg);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (reg->basic_auth) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, reg->basic_auth);
    }
    if (reg->ca_location)
        curl_easy_setopt(c, CURLOPT_CAINFO, reg->ca_location);
    if (post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(post));
    }
    pthread_mutex_lock(&reg->mu);
    reg->requests++;
    pthread_mutex_unlock(&reg->mu);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

/* The registry's error body is {"error_code": N, "message": "..."}. */
static void http_error(long status, ds_buf *resp, const char *what, char *err, size_t errlen)
{
    json_t *o = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(o, "message"));
    snprintf(err, errlen, "%s: HTTP %ld%s%s", what, status, msg ? ": " : "", msg ? msg : "");
    json_decref(o);
}

static int64_t backoff(const ds_registry *reg, int attempts)
{
    int64_t d = reg->backoff_min_ms;
    for (int i = 1; i < attempts && d < reg->backoff_max_ms; i++)
        d *= 2;
    return d < reg->backoff_max_ms ? d : reg->backoff_max_ms;
}

/* ---- cache and worker ----------------------------------------------------- */

static entry *find(ds_registry *reg, int32_t id)
{
    for (size_t i = 0; i < reg->nents; i++)
        if (reg->ents[i].id == id)
            return &reg->ents[i];
    return NULL;
}

static entry *add(ds_registry *reg, int32_t id)
{
    if (ds_reserve(&reg->ents, &reg->capents, reg->nents + 1, sizeof *reg->ents, 8))
        return NULL;
    entry *e = &reg->ents[reg->nents++];
    memset(e, 0, sizeof *e);
    e->id = id;
    e->state = ENT_PENDING;
    return e;
}

static void abs_deadline(struct timespec *ts, int64_t mono_ms)
{
    ts->tv_sec = (time_t)(mono_ms / 1000);
    ts->tv_nsec = (long)(mono_ms % 1000) * 1000000L;
}

/* Fetches one id. Returns ENT_READY (schema set), ENT_NOTFOUND, or
 * ENT_PENDING for a failure worth retrying (message in err). */
static ent_state fetch(ds_registry *reg, CURL *c, ds_buf *resp, int32_t id, char **schema, char *err,
                       size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "/schemas/ids/%" PRId32, id);
    long status = 0;
    if (http(reg, c, path, NULL, &status, resp, err, errlen))
        return ENT_PENDING;
    if (status == 404)
        return ENT_NOTFOUND;
    if (status != 200) {
        char what[96];
        snprintf(what, sizeof what, "GET %s", path);
        http_error(status, resp, what, err, errlen);
        /* a 4xx other than 404 for a plain GET is the registry misbehaving or
         * our credentials: retried like an outage, never taken as "no such id" */
        return ENT_PENDING;
    }
    json_t *o = json_loadb(resp->data ? resp->data : "", resp->len, 0, NULL);
    const char *s = json_string_value(json_object_get(o, "schema"));
    const char *type = json_string_value(json_object_get(o, "schemaType"));
    ent_state st = ENT_PENDING;
    if (type && strcmp(type, "AVRO") != 0) {
        /* a Protobuf or JSON Schema id is definitely not one of ours */
        st = ENT_NOTFOUND;
    } else if (!s) {
        snprintf(err, errlen, "GET %s: answer has no \"schema\" string", path);
    } else if (!(*schema = strdup(s))) {
        snprintf(err, errlen, "out of memory");
    } else {
        st = ENT_READY;
    }
    json_decref(o);
    return st;
}

static void *worker(void *arg)
{
    ds_registry *reg = arg;
    CURL *c = curl_easy_init();
    ds_buf resp;
    ds_buf_init(&resp);
    pthread_mutex_lock(&reg->mu);
    while (!reg->stop) {
        entry *next = NULL;
        for (size_t i = 0; i < reg->nents; i++)
            if (reg->ents[i].state == ENT_PENDING && (!next || reg->ents[i].next_try < next->next_try))
                next = &reg->ents[i];
        int64_t now = ds_mono_ms();
        if (!next) {
            pthread_cond_wait(&reg->work, &reg->mu);
            continue;
        }
        if (next->next_try > now) {
            struct timespec ts;
            abs_deadline(&ts, next->next_try);
            pthread_cond_timedwait(&reg->work, &reg->mu, &ts);
            continue;
        }
        int32_t id = next->id;
        pthread_mutex_unlock(&reg->mu);

        char *schema = NULL;
        char err[512] = "out of memory";
        ent_state st = c ? fetch(reg, c, &resp, id, &schema, err, sizeof err) : ENT_PENDING;

        pthread_mutex_lock(&reg->mu);
        entry *e = find(reg, id); /* the array may have moved */
        if (st == ENT_PENDING) {
            e->attempts++;
            e->next_try = ds_mono_ms() + backoff(reg, e->attempts);
            if (!reg->stop && (e->attempts == 1 || e->attempts % 10 == 0))
                ds_warn("registry", "schema id %" PRId32 ": %s (attempt %d, retrying in %" PRId64 " ms)", id, err,
                        e->attempts, backoff(reg, e->attempts));
            continue;
        }
        if (e->attempts > 0)
            ds_info("registry", "schema id %" PRId32 ": registry answered after %d failed attempts", id, e->attempts);
        e->state = st;
        e->schema = schema;
        e->attempts = 0;
        e->expires = ds_mono_ms() + reg->notfound_ttl_ms;
        if (reg->on_ready) {
            pthread_mutex_unlock(&reg->mu);
            reg->on_ready(reg->opaque);
            pthread_mutex_lock(&reg->mu);
        }
        pthread_cond_broadcast(&reg->done);
    }
    pthread_mutex_unlock(&reg->mu);
    ds_buf_free(&resp);
    if (c)
        curl_easy_cleanup(c);
    return NULL;
}

/* ---- public --------------------------------------------------------------- */

ds_registry *ds_registry_new(const ds_registry_conf *conf, char *err, size_t errlen)
{
    if (!conf || !conf->url || !*conf->url) {
        snprintf(err, errlen, "no schema registry URL");
        return NULL;
    }
    if (strncmp(conf->url, "http://", 7) != 0 && strncmp(conf->url, "https://", 8) != 0) {
        snprintf(err, errlen, "schema registry URL '%s': expected http:// or https://", conf->url);
        return NULL;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc) {
        snprintf(err, errlen, "libcurl initialisation failed");
        return NULL;
    }
    ds_registry *reg = calloc(1, sizeof *reg);
    int mu = 0, work = 0, done = 0;
    if (!reg)
        goto nomem;
    if (!(reg->url = strdup(conf->url)) || (conf->basic_auth && !(reg->basic_auth = strdup(conf->basic_auth))) ||
        (conf->ca_location && !(reg->ca_location = strdup(conf->ca_location))))
        goto nomem;
    size_t ul = strlen(reg->url);
    while (ul > 0 && reg->url[ul - 1] == '/')
        reg->url[--ul] = '\0';
    reg->backoff_min_ms = conf->backoff_min_ms > 0 ? conf->backoff_min_ms : 100;
    reg->backoff_max_ms = conf->backoff_max_ms > 0 ? conf->backoff_max_ms : 10000;
    if (reg->backoff_max_ms < reg->backoff_min_ms)
        reg->backoff_max_ms = reg->backoff_min_ms;
    reg->request_timeout_ms = conf->request_timeout_ms > 0 ? conf->request_timeout_ms : 10000;
    reg->notfound_ttl_ms = conf->notfound_ttl_ms > 0 ? conf->notfound_ttl_ms : 60000;
    reg->on_ready = conf->on_ready;
    reg->opaque = conf->opaque;

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    mu = pthread_mutex_init(&reg->mu, NULL) == 0;
    work = pthread_cond_init(&reg->work, &ca) == 0;
    done = pthread_cond_init(&reg->done, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!mu || !work || !done)
        goto nomem;
    if (pthread_create(&reg->thread, NULL, worker, reg)) {
        snprintf(err, errlen, "cannot start the registry thread: %s", strerror(errno));
        goto err;
    }
    reg->thread_started = 1;
    return reg;
nomem:
    snprintf(err, errlen, "out of memory");
err:
    if (reg) {
        if (mu)
            pthread_mutex_destroy(&reg->mu);
        if (work)
            pthread_cond_destroy(&reg->work);
        if (done)
            pthread_cond_destroy(&reg->done);
        free(reg->url);
        free(reg->basic_auth);
        free(reg->ca_location);
        free(reg);
    }
    return NULL;
}

void ds_registry_destroy(ds_registry *reg)
{
    if (!reg)
        return;
    pthread_mutex_lock(&reg->mu);
    reg->stop = 1;
    pthread_cond_broadcast(&reg->work);
    pthread_cond_broadcast(&reg->done);
    pthread_mutex_unlock(&reg->mu);
    if (reg->thread_started)
        pthread_join(reg->thread, NULL);
    for (size_t i = 0; i < reg->nents; i++)
        free(reg->ents[i].schema);
    free(reg->ents);
    pthread_mutex_destroy(&reg->mu);
    pthread_cond_destroy(&reg->work);
    pthread_cond_destroy(&reg->done);
    free(reg->url);
    free(reg->basic_auth);
    free(reg->ca_location);
    free(reg);
}

/* With reg->mu held: the cache's answer for id, queueing a fetch on a miss. */
static int lookup_locked(ds_registry *reg, int32_t id, char **schema_json)
{
    entry *e = find(reg, id);
    if (e && e->state == ENT_NOTFOUND && ds_mono_ms() >= e->expires) {
        e->state = ENT_PENDING; /* ask again: the id may have been registered since */
        e->next_try = 0;
        pthread_cond_signal(&reg->work);
    }
    if (!e) {
        if (!(e = add(reg, id)))
            return DS_REG_ENOMEM;
        pthread_cond_signal(&reg->work);
    }
    if (e->state == ENT_PENDING)
        return DS_REG_EPENDING;
    if (e->state == ENT_NOTFOUND)
        return DS_REG_ENOTFOUND;
    if (!(*schema_json = strdup(e->schema)))
        return DS_REG_ENOMEM;
    return 0;
}

int ds_registry_schema(ds_registry *reg, int32_t id, char **schema_json)
{
    if (!reg || id < 0 || !schema_json)
        return DS_REG_EINVAL;
    *schema_json = NULL;
    pthread_mutex_lock(&reg->mu);
    int rc = lookup_locked(reg, id, schema_json);
    pthread_mutex_unlock(&reg->mu);
    return rc;
}

int ds_registry_schema_wait(ds_registry *reg, int32_t id, int timeout_ms, char **schema_json)
{
    if (!reg || id < 0 || !schema_json)
        return DS_REG_EINVAL;
    *schema_json = NULL;
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : ds_mono_ms() + timeout_ms;
    pthread_mutex_lock(&reg->mu);
    int rc;
    while ((rc = lookup_locked(reg, id, schema_json)) == DS_REG_EPENDING && !reg->stop) {
        if (ds_mono_ms() >= deadline) {
            rc = DS_REG_ETIMEDOUT;
            break;
        }
        if (deadline == INT64_MAX) {
            pthread_cond_wait(&reg->done, &reg->mu);
        } else {
            struct timespec ts;
            abs_deadline(&ts, deadline);
            pthread_cond_timedwait(&reg->done, &reg->mu, &ts);
        }
    }
    pthread_mutex_unlock(&reg->mu);
    return rc == DS_REG_EPENDING ? DS_REG_ETIMEDOUT : rc;
}

int ds_registry_register(ds_registry *reg, const char *subject, const char *schema_json, int timeout_ms,
                         int32_t *id, char *err, size_t errlen)
{
    if (!reg || !subject || !schema_json || !id) {
        snprintf(err, errlen, "invalid argument");
        return DS_REG_EINVAL;
    }
    int rc = DS_REG_ENOMEM;
    char *body = NULL, *esc = NULL;
    ds_buf resp;
    ds_buf_init(&resp);
    CURL *c = curl_easy_init();
    json_t *req = json_pack("{s:s}", "schema", schema_json);
    if (!c || !req || !(body = json_dumps(req, JSON_COMPACT)) ||
        !(esc = curl_easy_escape(c, subject, (int)strlen(subject)))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    char path[1024];
    snprintf(path, sizeof path, "/subjects/%s/versions", esc);
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : ds_mono_ms() + timeout_ms;
    for (int attempt = 1;; attempt++) {
        long status = 0;
        char what[1100];
        snprintf(what, sizeof what, "POST %s", path);
        if (http(reg, c, path, body, &status, &resp, err, errlen) == 0) {
            if (status == 200) {
                json_t *o = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
                json_t *jid = json_object_get(o, "id");
                if (json_is_integer(jid) && json_integer_value(jid) >= 0 && json_integer_value(jid) <= INT32_MAX) {
                    *id = (int32_t)json_integer_value(jid);
                    rc = 0;
                } else {
                    snprintf(err, errlen, "%s: answer has no \"id\"", what);
                    rc = DS_REG_EREJECTED;
                }
                json_decref(o);
                break;
            }
            http_error(status, &resp, what, err, errlen);
            if (status < 500 && status != 429 && status != 408) {
                rc = DS_REG_EREJECTED; /* 409 incompatible, 422 invalid, 401/403: retrying will not help */
                break;
            }
        }
        int64_t wait = backoff(reg, attempt);
        if (ds_mono_ms() + wait > deadline) {
            rc = DS_REG_ETIMEDOUT;
            break;
        }
        if (attempt == 1 || attempt % 10 == 0)
            ds_warn("registry", "%s (attempt %d, retrying in %" PRId64 " ms)", err, attempt, wait);
        struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000L};
        nanosleep(&ts, NULL); /* the caller's thread, by contract not an event loop */
    }
    if (rc == 0) {
        /* our own id is a cache hit from now on */
        char *copy = strdup(schema_json);
        pthread_mutex_lock(&reg->mu);
        entry *e = find(reg, *id);
        if (!e)
            e = add(reg, *id);
        if (e && copy && e->state != ENT_READY) {
            free(e->schema);
            e->schema = copy;
            e->state = ENT_READY;
            copy = NULL;
            pthread_cond_broadcast(&reg->done);
        }
        pthread_mutex_unlock(&reg->mu);
        free(copy);
    }
out:
    if (esc)
        curl_free(esc);
    free(body);
    json_decref(req);
    ds_buf_free(&resp);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

long ds_registry_requests(ds_registry *reg)
{
    pthread_mutex_lock(&reg->mu);
    long n = reg->requests;
    pthread_mutex_unlock(&reg->mu);
    return n;
}

/* ---- codec glue ----------------------------------------------------------- */

/* Writes the full name (namespace.name) of a named schema's JSON into out. */
static int full_name(json_t *o, char *out, size_t cap)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *ns = json_string_value(json_object_get(o, "namespace"));
    if (!name)
        return -1;
    if (strchr(name, '.') || !ns || !*ns)
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s.%s", ns, name);
    return 0;
}

int ds_registry_codec_add(ds_codec *codec, int32_t confluent_id, const char *schema_json, ds_schema_id *reader,
                          char *err, size_t errlen)
{
    json_error_t je;
    json_t *w = json_loads(schema_json, 0, &je);
    char wname[256];
    if (!w || full_name(w, wname, sizeof wname)) {
        snprintf(err, errlen, "schema id %" PRId32 ": not a named Avro schema", confluent_id);
        json_decref(w);
        return DS_CODEC_ESCHEMA;
    }
    json_decref(w);
    int found = -1;
    for (int i = 0; i < DS_SCHEMA__COUNT && found < 0; i++) {
        json_t *r = json_loads(ds_schema_json[i], 0, NULL);
        char rname[256];
        if (r && full_name(r, rname, sizeof rname) == 0 && strcmp(rname, wname) == 0)
            found = i;
        json_decref(r);
    }
    if (found < 0) {
        snprintf(err, errlen, "schema id %" PRId32 " is %s, not a dealstream record", confluent_id, wname);
        return DS_CODEC_ESCHEMA;
    }
    ds_schema_id sid = (ds_schema_id)found;
    ds_buf pcf;
    ds_buf_init(&pcf);
    int rc = ds_schema_pcf(schema_json, &pcf, err, errlen);
    if (rc == 0) {
        uint64_t fp = ds_crc64_avro(pcf.data, pcf.len);
        if (fp == ds_codec_fingerprint(codec, sid) &&
            (ds_codec_confluent_id(codec, sid) < 0 || ds_codec_confluent_id(codec, sid) == confluent_id))
            rc = ds_codec_set_confluent_id(codec, sid, confluent_id);
        else
            rc = ds_codec_add_writer(codec, sid, schema_json, confluent_id, err, errlen);
    }
    ds_buf_free(&pcf);
    if (rc == 0)
        *reader = sid;
    return rc;
}
