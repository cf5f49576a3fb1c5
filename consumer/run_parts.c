/* run_parts.c: constant-time look-ups in the partition lists of `run`.
 *
 * Owns part_index, which maps (topic kind, partition) of the three topics
 * the run reads (articles, deals, mentions) to an element of one
 * rd_kafka_topic_partition_list_t, so that the loop finds a record's
 * partition in the lists it updates per record (the offsets read, a
 * batch's offsets and start, the assignment) without librdkafka's linear
 * search. The list stays the record of what is there: every add and delete
 * of an indexed list goes through here, and a delete reindexes it. Topics
 * of another name fall back to the linear search. May call librdkafka. */
#include "run_internal.h"

int run_topic_kind(const runner *r, const char *topic)
{
    if (strcmp(topic, r->mtopic) == 0)
        return RUN_T_MENTIONS;
    if (strcmp(topic, r->cfg->deals_topic) == 0)
        return RUN_T_DEALS;
    if (strcmp(topic, r->cfg->articles_topic) == 0)
        return RUN_T_ARTICLES;
    return -1;
}

/* Makes room in ix for partition p of kind. Returns 0, or -1 when out of
 * memory (the index then misses p: look-ups fall back to the list). */
static int reserve(part_index *ix, int kind, int32_t p)
{
    if (p < ix->n[kind])
        return 0;
    int32_t n = p + 1 > 2 * ix->n[kind] ? p + 1 : 2 * ix->n[kind];
    if (n < 16)
        n = 16;
    int32_t *at = realloc(ix->at[kind], (size_t)n * sizeof *at);
    if (!at)
        return -1;
    memset(at + ix->n[kind], 0, (size_t)(n - ix->n[kind]) * sizeof *at);
    ix->at[kind] = at;
    ix->n[kind] = n;
    return 0;
}

rd_kafka_topic_partition_t *run_part_find(const part_index *ix, rd_kafka_topic_partition_list_t *l, int kind,
                                          const char *topic, int32_t p)
{
    if (kind < 0 || p < 0)
        return rd_kafka_topic_partition_list_find(l, topic, p);
    if (p >= ix->n[kind] || ix->at[kind][p] == 0)
        return ix->complete ? NULL : rd_kafka_topic_partition_list_find(l, topic, p);
    rd_kafka_topic_partition_t *e = &l->elems[ix->at[kind][p] - 1];
    return e->partition == p ? e : rd_kafka_topic_partition_list_find(l, topic, p);
}

rd_kafka_topic_partition_t *run_part_add(part_index *ix, rd_kafka_topic_partition_list_t *l, int kind,
                                         const char *topic, int32_t p)
{
    rd_kafka_topic_partition_t *e = run_part_find(ix, l, kind, topic, p);
    if (e)
        return e;
    e = rd_kafka_topic_partition_list_add(l, topic, p);
    if (kind >= 0 && p >= 0) {
        if (reserve(ix, kind, p) == 0)
            ix->at[kind][p] = l->cnt;
        else
            ix->complete = 0; /* p is not indexed: a miss searches the list */
    }
    return e;
}

void run_part_reindex(const runner *r, part_index *ix, const rd_kafka_topic_partition_list_t *l)
{
    for (int k = 0; k < RUN_T_KINDS; k++)
        if (ix->at[k])
            memset(ix->at[k], 0, (size_t)ix->n[k] * sizeof *ix->at[k]);
    ix->complete = 1;
    for (int i = 0; i < l->cnt; i++) {
        int kind = run_topic_kind(r, l->elems[i].topic);
        int32_t p = l->elems[i].partition;
        if (kind < 0 || p < 0)
            continue; /* found by the linear search */
        if (reserve(ix, kind, p) == 0)
            ix->at[kind][p] = i + 1;
        else
            ix->complete = 0;
    }
}

void run_part_del(const runner *r, part_index *ix, rd_kafka_topic_partition_list_t *l, const char *topic, int32_t p)
{
    if (rd_kafka_topic_partition_list_del(l, topic, p))
        run_part_reindex(r, ix, l); /* the elements after it moved */
}

void run_part_index_init(part_index *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->complete = 1;
}

void run_part_index_free(part_index *ix)
{
    for (int k = 0; k < RUN_T_KINDS; k++)
        free(ix->at[k]);
    run_part_index_init(ix);
}
