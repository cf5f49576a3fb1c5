/* mention.h: the in-memory DealMention, and its conversion to and from the
 * Avro record of schemas/DealMention.avsc.
 *
 * A ds_mention is a flat value (no pointers): it can be copied with '=' and
 * compared with memcmp after ds_mention_init. Enumerations follow the order
 * of the Avro symbols so that values map one-to-one. */
#ifndef DS_MENTION_H
#define DS_MENTION_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DS_STAGE_INTENT, DS_STAGE_SELECTION, DS_STAGE_APPROVAL, DS_STAGE_FRAMEWORK, DS_STAGE_LOA,
    DS_STAGE_EXECUTIVE, DS_STAGE_OPTION, DS_STAGE_JOINT_VENTURE, DS_STAGE_DELIVERY,
    /* appended (Avro evolution: new symbols go last; the enum's default is
     * "executive" for readers that do not know them) */
    DS_STAGE_MEMORANDUM, DS_STAGE_AMENDMENT, DS_STAGE_CANCELLATION, DS_STAGE__COUNT
} ds_stage;
/* approved: a government approval (a ceiling, never a signing); appended
 * like the stages, default "signed" */
typedef enum {
    DS_STATUS_PLANNED, DS_STATUS_SIGNED, DS_STATUS_DELIVERED, DS_STATUS_APPROVED, DS_STATUS_CANCELLED, DS_STATUS__COUNT
} ds_status;
typedef enum { DS_ROLE_PRIMARY, DS_ROLE_CONTEXT } ds_role;
/* reference: a row of the catalog's reference table, materialised by the
 * resolver (never on the mentions topic or in the changelog) */
typedef enum { DS_SRC_ARTICLE, DS_SRC_DEAL_EVENT, DS_SRC_REFERENCE } ds_source_kind;
typedef enum { DS_SUP_PRIME, DS_SUP_LOCAL_PRODUCER, DS_SUP_JOINT_VENTURE } ds_supplier_role;
typedef enum {
    DS_REL_EXECUTES_FRAMEWORK, DS_REL_NEXT_BATCH, DS_REL_OPTION_EXERCISE, DS_REL_ENABLED_BY_JV, DS_REL__COUNT
} ds_relation;

extern const char *const ds_stage_names[DS_STAGE__COUNT];
extern const char *const ds_status_names[DS_STATUS__COUNT];
extern const char *const ds_relation_names[DS_REL__COUNT];
extern const char *const ds_supplier_role_names[3];

#define DS_MAX_SUPPLIERS 4
#define DS_MAX_VARIANTS 4
#define DS_MAX_EXTRAS 4
#define DS_MAX_RELS 4
#define DS_MAX_EVIDENCE 16
#define DS_MAX_DELIVERY_YEARS 4

typedef struct ds_value {
    int set;
    int64_t amount;      /* in hundredths of the currency unit */
    char currency[4];
    int64_t usd;         /* hundredths of a dollar, -1 when unknown */
    char covers[64];
    int combined;
} ds_value;

typedef struct ds_relhint {
    ds_relation relation;
    char ref[24];        /* "" when not named */
    int year;            /* 0 when unknown */
    int64_t quantity;    /* -1 when unknown */
    int batch;           /* 0 when unknown */
} ds_relhint;

typedef struct ds_evidence {
    char field[16];
    int32_t start, end;
} ds_evidence;

/* The capacity of a source id (article_id, source_id): at most 127 bytes;
 * a longer id is refused (id-too-long), never cut. */
#define DS_ID_MAX 128

typedef struct ds_mention {
    char mention_id[17];
    char block_key[64];
    ds_role role;
    struct {
        ds_source_kind kind;
        char id[DS_ID_MAX];
        char outlet[64];
        int64_t published;   /* DS_NO_TIME when absent */
        char topic[128];
        int32_t partition;
        int64_t offset;
        uint64_t text_hash;
    } src;
    char buyer[4];
    char seller[4];
    struct { char company[40]; ds_supplier_role role; } suppliers[DS_MAX_SUPPLIERS];
    int nsuppliers;
    char system[24];
    char family[24];
    int64_t quantity;        /* -1 when unknown */
    struct { char system[24]; int64_t quantity; } variants[DS_MAX_VARIANTS];
    int nvariants;
    struct { char what[40]; int64_t quantity; } extras[DS_MAX_EXTRAS];
    int nextras;
    ds_value value;
    ds_stage stage;
    ds_status status;
    int batch;               /* 0 when unknown */
    int32_t signing_date;    /* DS_NO_DATE when unknown */
    int signing_year;        /* 0 when unknown */
    int32_t announce_date;   /* DS_NO_DATE when unknown */
    int delivery_years[DS_MAX_DELIVERY_YEARS];
    int ndelivery_years;
    char place[48];
    ds_relhint rels[DS_MAX_RELS];
    int nrels;
    ds_evidence evidence[DS_MAX_EVIDENCE];
    int nevidence;
    char category[24];       /* tank, howitzer, ... ("" when unknown) */
    int out_of_catalog;      /* system and family are a designation read from the text */
} ds_mention;

/* Zeroes m and sets every "unknown" marker. */
void ds_mention_init(ds_mention *m);
/* Records evidence for field (replacing an earlier span of the same field). */
void ds_mention_evidence(ds_mention *m, const char *field, int32_t start, int32_t end);
/* Sets block_key from buyer, seller and family ("?" for an unknown part). */
void ds_mention_block_key(ds_mention *m);

/* Fills the DealMention record val (a value of the reader schema). Returns 0
 * or -1 on an avro error (avro_strerror() says which). */
int ds_mention_to_avro(const ds_mention *m, avro_value_t *val);
/* Reads a DealMention record; strings too long for the fixed fields are an
 * error (-1, message in err). */
int ds_mention_from_avro(avro_value_t *val, ds_mention *m, char *err, size_t errlen);

/* Writers/readers of the pieces shared with CanonicalDeal (the same field
 * names in both schemas). */
/* The field name of record rec in *out, as avro_value_get_by_name() but with
 * the field's index cached per thread (name should be a string literal or
 * otherwise outlive the process's use of it). Returns 0 or avro-c's error. */
int ds_avro_field(avro_value_t *rec, const char *name, avro_value_t *out);
/* The string (or ["null", "string"]) field name of rec, NULL when null or
 * not a string; *len (may be NULL) gets its length. The string belongs to
 * rec. */
const char *ds_avro_field_string(avro_value_t *rec, const char *name, size_t *len);
/* The long or int (or ["null", long or int]) field name of rec into *v.
 * Returns 0, or -1 when null or not a number (*v unaltered). */
int ds_avro_field_long(avro_value_t *rec, const char *name, int64_t *v);

int ds_avro_set_string(avro_value_t *rec, const char *field, const char *s);
int ds_avro_set_opt_string(avro_value_t *rec, const char *field, const char *s /* "" or NULL: null */);
int ds_avro_set_opt_long(avro_value_t *rec, const char *field, int64_t v, int present);
int ds_avro_set_opt_int(avro_value_t *rec, const char *field, int32_t v, int present);
int ds_avro_set_enum(avro_value_t *rec, const char *field, int v);
int ds_avro_set_value(avro_value_t *rec, const char *field, const ds_value *v);
/* Fills a Value record (not the optional union around it). */
int ds_avro_set_value_record(avro_value_t *rec, const ds_value *v);
/* Appends an item to the array field and points item at it; empties it. */
int ds_avro_append(avro_value_t *rec, const char *field, avro_value_t *item);
int ds_avro_clear_array(avro_value_t *rec, const char *field);
/* Writes the fields both records share, from stage to place. */
int ds_avro_set_timeline(avro_value_t *val, ds_stage stage, ds_status status, int batch, int32_t signing_date,
                         int signing_year, int32_t announce_date, const int *delivery_years, size_t ndelivery,
                         const char *place);

#endif
