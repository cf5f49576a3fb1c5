/* deal_bin.c: a DealEvent's Avro binary body read directly into a
 * ds_deal_event, without avro-c's generic values, and the same struct
 * filled from a generic value (see deal_bin.h). May call common/, schemas/
 * and the cursor of mention_bin.h.
 *
 * Decoding a deal event through the generic path (the codec's validating
 * pre-scan, then avro_value_read into a generic record, then every field
 * looked up and read through avro-c's value interface) took about 12,300
 * instructions a 70-byte event, a quarter of the processor's loop thread
 * per deal event. The direct reader walks the bytes once. It refuses
 * whatever the pre-scan would refuse, so that the caller can hand those
 * bytes to the generic decoder for the classified error; what it accepts,
 * the generic path reads into the same fields (tests/test_deal_bin.c and
 * fuzz_decode_single compare the two). */
#include "deal_bin.h"

#include <string.h>

#include "codec.h"
#include "mention_bin.h"
#include "util.h"

/* The DealEvent enums' symbol counts (schemas/DealEvent.avsc). */
#define STAGE_SYMBOLS 9
#define STATUS_SYMBOLS 3

typedef struct {
    ds_avro_cursor c;
    ds_deal_event *e;
    size_t used; /* bytes of e->text taken */
} deal_rd;

/* A string into e->text; NULL once the cursor has failed. */
static const char *get_text(deal_rd *r, const char *field, size_t *len)
{
    if (r->used == sizeof r->e->text) {
        if (!r->c.failed)
            r->c.failed = field;
        return NULL;
    }
    char *dst = r->e->text + r->used;
    ds_avro_get_string(&r->c, field, dst, sizeof r->e->text - r->used);
    if (r->c.failed)
        return NULL;
    size_t n = strlen(dst);
    r->used += n + 1;
    if (len)
        *len = n;
    return dst;
}

/* ["null", "string"]: NULL for null. */
static const char *get_opt_text(deal_rd *r, const char *field)
{
    return ds_avro_get_enum(&r->c, field, 2) ? get_text(r, field, NULL) : NULL;
}

/* ["null", "long"] or ["null", "int"]: *present and the value. */
static int64_t get_opt_num(deal_rd *r, const char *field, int is_int, int *present)
{
    *present = ds_avro_get_enum(&r->c, field, 2);
    if (!*present)
        return 0;
    return is_int ? ds_avro_get_int(&r->c, field) : ds_avro_get_long(&r->c, field);
}

/* The value: ["null", Money], Money being amount (decimal bytes) and
 * currency. */
static void get_value(deal_rd *r, ds_deal_event *e)
{
    e->has_value = ds_avro_get_enum(&r->c, "value", 2);
    e->amount_ok = 0;
    e->amount = 0;
    e->currency = NULL;
    if (!e->has_value)
        return;
    e->amount = ds_avro_get_decimal(&r->c, "value.amount");
    e->amount_ok = !r->c.failed;
    e->currency = get_text(r, "value.currency", NULL);
}

/* The fields the reader reads, in order: name, Avro type, and for a
 * ["null", X] union X's type; for an enum its symbol count. */
static const struct {
    const char *name;
    avro_type_t type, inner;
    int symbols;
} fields[] = {
    {"source_id", AVRO_STRING, AVRO_NULL, 0},     {"source", AVRO_STRING, AVRO_NULL, 0},
    {"reported", AVRO_INT64, AVRO_NULL, 0},       {"buyer", AVRO_STRING, AVRO_NULL, 0},
    {"seller", AVRO_UNION, AVRO_STRING, 0},       {"supplier", AVRO_UNION, AVRO_STRING, 0},
    {"system", AVRO_STRING, AVRO_NULL, 0},        {"quantity", AVRO_UNION, AVRO_INT64, 0},
    {"value", AVRO_UNION, AVRO_RECORD, 0},        {"stage", AVRO_ENUM, AVRO_NULL, STAGE_SYMBOLS},
    {"status", AVRO_ENUM, AVRO_NULL, STATUS_SYMBOLS}, {"signing_date", AVRO_UNION, AVRO_INT32, 0},
    {"place", AVRO_UNION, AVRO_STRING, 0},        {"batch", AVRO_UNION, AVRO_INT32, 0},
    {"parent_ref", AVRO_UNION, AVRO_STRING, 0},
};

int ds_deal_event_schema_ok(avro_schema_t s)
{
    size_t n = sizeof fields / sizeof *fields;
    if (!s || avro_typeof(s) != AVRO_RECORD || avro_schema_record_size(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = avro_schema_record_field_name(s, (int)i);
        avro_schema_t f = avro_schema_record_field_get_by_index(s, (int)i);
        if (!name || !f || strcmp(name, fields[i].name) != 0 || avro_typeof(f) != fields[i].type)
            return 0;
        if (fields[i].type == AVRO_UNION &&
            (avro_schema_union_size(f) != 2 || avro_typeof(avro_schema_union_branch(f, 0)) != AVRO_NULL ||
             avro_typeof(avro_schema_union_branch(f, 1)) != fields[i].inner))
            return 0;
        if (fields[i].type == AVRO_ENUM && avro_schema_enum_number_of_symbols(f) != fields[i].symbols)
            return 0;
    }
    /* Money: amount (bytes), currency */
    avro_schema_t money = avro_schema_union_branch(avro_schema_record_field_get_by_index(s, 8), 1);
    return avro_schema_record_size(money) == 2 &&
           avro_typeof(avro_schema_record_field_get_by_index(money, 0)) == AVRO_BYTES &&
           avro_typeof(avro_schema_record_field_get_by_index(money, 1)) == AVRO_STRING;
}

int ds_deal_event_read(const void *data, size_t len, ds_deal_event *e, char *err, size_t errlen)
{
    deal_rd rr = {{data, (const unsigned char *)data + len, NULL, NULL}, e, 0};
    deal_rd *r = &rr;
    e->source_id = get_text(r, "source_id", &e->source_id_len);
    e->source = get_text(r, "source", NULL);
    e->reported = ds_avro_get_long(&r->c, "reported");
    e->buyer = get_text(r, "buyer", NULL);
    e->seller = get_opt_text(r, "seller");
    e->supplier = get_opt_text(r, "supplier");
    e->system = get_text(r, "system", NULL);
    e->quantity = get_opt_num(r, "quantity", 0, &e->has_quantity);
    get_value(r, e);
    e->stage = ds_avro_get_enum(&r->c, "stage", STAGE_SYMBOLS);
    e->status = ds_avro_get_enum(&r->c, "status", STATUS_SYMBOLS);
    e->signing_date = get_opt_num(r, "signing_date", 1, &e->has_signing_date);
    e->place = get_opt_text(r, "place");
    e->batch = get_opt_num(r, "batch", 1, &e->has_batch);
    e->parent_ref = get_opt_text(r, "parent_ref");
    if (!r->c.failed && r->c.p != r->c.end)
        r->c.failed = "(end)";
    if (r->c.failed)
        e->source_id = NULL;
    return ds_avro_cursor_error(&r->c, "DealEvent", data, err, errlen);
}

void ds_deal_event_from_avro(avro_value_t *val, ds_deal_event *e)
{
    avro_value_t f, b, amt;
    int disc = 0, sym;
    e->source_id_len = 0;
    e->quantity = e->amount = e->signing_date = e->batch = 0; /* read only when present */
    e->source_id = ds_avro_field_string(val, "source_id", &e->source_id_len);
    e->source = ds_avro_field_string(val, "source", NULL);
    e->reported = DS_NO_TIME;
    ds_avro_field_long(val, "reported", &e->reported);
    e->buyer = ds_avro_field_string(val, "buyer", NULL);
    e->seller = ds_avro_field_string(val, "seller", NULL);
    e->supplier = ds_avro_field_string(val, "supplier", NULL);
    e->system = ds_avro_field_string(val, "system", NULL);
    e->has_quantity = ds_avro_field_long(val, "quantity", &e->quantity) == 0;
    e->has_value = ds_avro_field(val, "value", &f) == 0 && avro_value_get_discriminant(&f, &disc) == 0 &&
                   disc == 1 && avro_value_get_current_branch(&f, &b) == 0;
    e->currency = e->has_value ? ds_avro_field_string(&b, "currency", NULL) : NULL;
    e->amount_ok = e->has_value && ds_avro_field(&b, "amount", &amt) == 0 && ds_decimal_get(&amt, &e->amount) == 0;
    e->stage = ds_avro_field(val, "stage", &f) == 0 && avro_value_get_enum(&f, &sym) == 0 ? sym : -1;
    e->status = ds_avro_field(val, "status", &f) == 0 && avro_value_get_enum(&f, &sym) == 0 ? sym : -1;
    e->has_signing_date = ds_avro_field_long(val, "signing_date", &e->signing_date) == 0;
    e->place = ds_avro_field_string(val, "place", NULL);
    e->has_batch = ds_avro_field_long(val, "batch", &e->batch) == 0;
    e->parent_ref = ds_avro_field_string(val, "parent_ref", NULL);
}
