/* resolve.h: resolution of deal mentions into canonical deals: dedup, merge
 * and link (schemas/CanonicalDeal.avsc).
 *
 * State is grouped by block key (buyer|seller|family). A block holds the set
 * of its mentions; the deals, their ids and their content are a function
 * of that set (what a recompute of the whole block from it gives), never of
 * their arrival order. Only revision numbers depend on history.
 *
 * Incremental adds. A block of DS_RESOLVER_INC_MIN (128) mentions or more
 * keeps an index of them (resolve.c, "incremental adds"): each mention's
 * facts, the source it repeats, its cluster (union-find), and look-ups by
 * fingerprint band, time bucket, source, class and batch. An add updates
 * the index and recomputes only the deals it can change (the cluster it
 * joins, clusters whose copies it changes, the next batch of a changed
 * contract, deals whose context mentions could recall a changed one) with
 * the deals and context mentions their records read, and publishes exactly
 * what a whole-block recompute would (test_resolve compares the two add
 * after add). The cost of an add then depends on the deals it touches and
 * on the mentions near it in time, not on the block's history. The copy
 * probe reads 447 band buckets; with a retention R they hold only mentions
 * published within 2R of the block's newest, so it stays flat too, and a
 * mention published more than R before the newest (or at an unknown time)
 * is compared with every mention of the block. Without a retention the
 * buckets (8,192 a band once the block holds 16,384 fingerprints, fewer
 * before) grow by one entry per 8,192 fingerprints. Blocks with weak,
 * update (delivery, cancellation, amendment) or hint-bearing mentions, and adds that change a framework deal,
 * an option, a contract of a block with options, or a deal matching a
 * reference row (or make one match a row), are recomputed whole (those
 * rules read every deal of the block); the deals that match a row are read
 * by every scoped recompute.
 *
 * A deal of 32 members or more keeps its record between adds (at its
 * cluster's root in the index). A new mention that joins that deal alone,
 * changes no copy relation, does not become its anchor, meets no context
 * mention and states only the facts already voted (batch, date, year,
 * quantity, system, place, variants, extras, a supplier's role, the value
 * of the deal's only claim; anything else it may leave unknown) extends
 * that record: its source, evidence and delivery years are inserted in
 * order, status, announcement date and the claim's sources updated, the
 * record rehashed, without reading the deal's other members. Such a
 * mention cannot change a vote, a link or another deal, so the record is
 * the one a rebuild from every member gives (test_resolve compares them
 * add after add). This holds in a block with weak mentions too, when each
 * weak mention that fits the deal (is compatible with all its strong
 * members) is compatible with the new one, so that it fits what it fitted;
 * the block's other adds are recomputed whole, as below. Every other add
 * rebuilds the deal as above and keeps the new record. What stays linear in the deal's size is the record itself,
 * copied and hashed once per add (a deal of n sources publishes n entries).
 *
 * A whole recompute (a restore, and the adds above) looks up what each
 * rule reads instead of scanning the block: a copy's source in fingerprint
 * bands once the scan would be long, a weak mention's or an update's deal
 * among those of its class and batch, and a deal's links among the deals
 * of the parent's class (and batch), the members near a context mention in
 * time, the context mentions of its sources and the deals of a reference
 * row, so that it costs about n log n in the block's mentions (without a
 * retention the copy probe's buckets still grow with the block, as above).
 * bench/README.md has the figures.
 *
 * Clustering. Primary mentions are clustered with union-find over pairwise
 * compatibility (resolve.c, compatible()): same stage class (framework |
 * loa+executive | option | joint_venture | selection+approval), batch equal
 * or one unknown, quantity equal or one unknown (frameworks: within 5%, "1000"
 * vs "980"), non-combined USD values within 10%, signing periods that meet
 * (exact dates within 45 days; otherwise overlapping windows: a year, the 30
 * days after a planned mention's source date, the 45 days before a signed
 * mention's publication). A primary mention with no time at all ("weak")
 * joins the one cluster all of whose members it is compatible with, else
 * forms deals with the other leftover weak mentions. Intent mentions and
 * context mentions never form deals (context mentions serve linking).
 * Updates (delivery, cancellation and amendment mentions) make no deal of
 * their own: each attaches to the deal it fits (resolve.c, update_fits) and
 * changes it: a delivery (to a signed contract or option, batch and
 * contract date agreeing, no more units than it holds; the earliest signed
 * when several fit) makes it `delivered` with `delivered` the largest count
 * reported; a cancellation makes it `cancelled`; an amendment sets its value
 * to the one stated (latest amendment first, value_basis naming it). A
 * cancellation or an amendment must name its deal by signing date or year,
 * batch or quantity, and goes to the latest signed that fits. An update
 * that fits no deal is published as the deal it implies (resolve.c,
 * infer_orphans): a contract (stage executive) with the updates as its
 * members and its updates, an evidence entry "inferred_from_update" naming
 * the earliest; updates that agree on batch, contract year and date (and a
 * cancellation's quantity) make one such deal. When the deal's own report
 * arrives the update attaches to it and the inferred id is retired into
 * it. A cancellation or an amendment naming no contract implies none and
 * stays pending, invisible, in the block's state (bounded by the block's
 * cap) until a deal it fits arrives. *
 * Ids. deal_id = hex(xxh64(block_key NUL anchor mention_id)), the anchor
 * being the cluster's earliest published time-bearing member (then smallest
 * mention_id). Earliest-published rather than smallest-id keeps ids stable
 * while news arrives in publication order. An id that disappears (clusters
 * merged, or an older report joined) is published once more with
 * retired_into = the id of the deal that now holds its anchor. A retired
 * id whose anchor (an update) moves to another deal is published again,
 * retired into that one; after a restore the anchor of a restored id is the
 * block's mention that hashes to it.
 *
 * Duplicates. A mention whose mention_id is already in the block is ignored
 * (no change at all). A source whose text_hash (SimHash, 0 = unknown) is
 * within Hamming distance 12 (see ds_simhash) of another source of the block published earlier
 * (then smaller source id) is a syndicated copy: its entry in sources carries
 * duplicate_of = the earliest such source, and its mentions corroborate
 * nothing (no votes, no value claims, not counted). Duplicate source entries
 * and their evidence are part of the content hash: a copy that changes the
 * sources list is published with the next revision, so the final record of
 * a deal lists every copy whatever the arrival order. A redelivery (a
 * mention_id already held) changes nothing and never bumps a revision. (A
 * copy that arrived before its original is a real source until the original
 * comes; then it is marked duplicate_of and republished.)
 *
 * Versions. A deal event's mention_id names its source, so the same source
 * sent again has the same id. When it comes with a later `reported`
 * (src.published) it replaces the version held, which no longer votes; an
 * equal or earlier one is a redelivery and changes nothing. Either arrival
 * order of two versions ends with the later one. A version whose buyer,
 * seller or family changed has another block key: it is resolved in that
 * block and the earlier version stays in its own.
 *
 * Retention (ds_resolver_set_retention, `--dedup-retention-days`). A source
 * published more than the retention after the source it would repeat is not
 * its copy but a new source: a syndicated copy arriving after retention
 * counts as corroboration. Measured between the two publication times, not
 * against the clock, the rule stays a function of the set of mentions
 * (order-insensitive, identical after a restore), and no decision already
 * published changes when time moves on. The mentions of old deals are the
 * state and are kept, each with its 8-byte fingerprint (the changelog record
 * carries it); what expires is the resolver's table of seen-article
 * fingerprints (16 bytes each: text hash, source id hash, event time), from
 * which entries older than the newest event time seen minus the retention
 * are dropped, so that it stays flat on an endless stream. The table counts
 * seen articles (ds_resolver_fingerprints), including articles noted without
 * a mention (ds_resolver_note_article).
 *
 * Expiry. With a retention, the mentions that can no longer change any deal
 * leave the state by event time: an intent of a deal event (intents never
 * form deals, and a deal event has no fingerprint a copy could match)
 * published more than the retention before the newest mention of its block
 * is dropped (swept once the oldest is a quarter retention past that; a
 * redelivery of it is stored again and expires again). A superseded version
 * of a deal event is replaced, never kept (see "Versions"). Mentions of
 * articles, copies included, stay: a copy is listed among its deal's
 * sources and an article may be the original a later copy points at.
 *
 * Storage. A stored mention is a packed variable-length byte record
 * (resolve.c, pack_mention): mention_id first, then every field but the
 * block key as varints and length-prefixed strings, only the used entries of
 * its arrays; about 100-150 bytes instead of the 1,816 of a ds_mention. A
 * recompute unpacks its block's mentions into a scratch array. Interned
 * strings or the mention's Avro encoding were the alternatives: interning
 * saves a further ~30 bytes a mention for a string table and reference
 * counts, and avro-c's generic decoding is far slower than a recompute.
 * Between adds a block keeps no canonical records: only its mentions,
 * revisions and the (deal id, reference row) pairs other blocks link to.
 * The records of an add (its changes) stay cached until the next add, and
 * ds_resolver_deals rebuilds the others on demand.
 *
 * Revisions. Per deal id the block keeps the last published revision and a
 * 64-bit hash of the record without revision and updated; an add publishes a
 * deal only when that hash changed (revision + 1, starting at 1).
 *
 * Reference rows (ds_resolver_set_references). Each row of the catalog's
 * reference table the resolver owns is held as a primary mention of source
 * kind `reference` (mention_id hex(xxh64("reference" NUL ref)), source id
 * the ref, published on its signing day, the row's facts), in the block of
 * its buyer|seller|family. It clusters like any mention, so a report of
 * the row's contract merges into the row's deal; it is always its
 * cluster's anchor, so the deal's id is a function of the row alone
 * (ref_deal_id) and never retires; two rows never merge. These mentions
 * come from the catalog: they are left out of the changelog and put back by
 * ds_resolver_restore_finish.
 *
 * Links (relation, target, target_ref, via, basis). The target is always a
 * deal_id: a deal of the block, the live deal of a reference row, or (rows
 * materialised) the row's own deal id, published by the owner of its block.
 * A parent known nowhere yields no link; when it arrives its block is
 * recomputed and the child re-linked with a new revision. Candidates, best
 * first per relation by `via` (state > context > reference), then the
 * parent closest in signing time, then the smallest target:
 * - state: ordinals among the block's deals (batch N > 1: next_batch to
 *   batch N-1 signed before it; an executive contract or option:
 *   executes_framework to a framework signed no later; an option:
 *   option_exercise to a contract signed before it) and relation hints of
 *   the members that fit one deal of the block;
 * - context: the earlier deal a context mention of the same sources recalls
 *   (batch N-1 ⇒ next_batch, framework ⇒ executes_framework, joint venture
 *   ⇒ enabled_by_jv), as a deal of the block or the deal of the row it fits;
 * - reference: a hint naming a ref (a deal event's parent_ref; a ref the
 *   table lacks names nothing), the row a hint fits, and the parents of the
 *   deal's own row.
 * - still missing, with links across blocks on: the same ordinals among
 *   the deals of the blocks of the same buyer and seller whose family
 *   differs only by variant (a catalog variant and its family; or a
 *   designation and the same with a variant suffix, "CV90" and "CV90MKIV",
 *   never "AB1" and "AB10"); via state. Such a block reads all our deals,
 *   so its adds and ours are recomputed whole, and a block created later
 *   re-links the deals that looked for it.
 * basis says which rule and which source or row. Links never cross buyers.
 * Blocks that looked up another block's deals are recomputed when that
 * block's (ref, deal id) pairs change, so a child arriving before its
 * parent is re-linked when the parent arrives, also across blocks.
 *
 * @locality One thread at a time per resolver (no internal locking). */
#ifndef DS_RESOLVE_H
#define DS_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "buf.h"
#include "catalog.h"
#include "mention.h"

typedef enum { DS_VIA_STATE, DS_VIA_CONTEXT, DS_VIA_REFERENCE, DS_VIA__COUNT } ds_link_via;
extern const char *const ds_via_names[DS_VIA__COUNT];

typedef struct ds_canon_supplier {
    const char *company;
    ds_supplier_role role;
} ds_canon_supplier;

typedef struct ds_canon_item {   /* a variant or an extra item */
    const char *name;            /* VariantQuantity.system or ExtraItem.what */
    int64_t quantity;
} ds_canon_item;

typedef struct ds_canon_claim {
    ds_value value;              /* usd filled in when derivable from the rates */
    const char **sources;        /* source ids, sorted */
    size_t nsources;
    /* Not in the schema: */
    size_t nsig;                 /* sources with a signed report */
    int64_t pub;                 /* earliest report, INT64_MAX unknown */
    uint64_t hsources;           /* sum of its sources' hashes (content_hash) */
} ds_canon_claim;

typedef struct ds_canon_source {
    const char *id;
    ds_source_kind kind;
    const char *outlet;          /* "" when absent */
    int64_t published;           /* DS_NO_TIME when absent */
    ds_status status;
    const char *duplicate_of;    /* NULL unless a redelivery / syndicated copy */
} ds_canon_source;

typedef struct ds_canon_link {
    ds_relation relation;
    char target[24];             /* deal_id of the parent */
    char target_ref[24];         /* "" when no reference row is known */
    ds_link_via via;
    char basis[160];             /* the evidence, "" when none */
} ds_canon_link;

typedef struct ds_canon_evidence {
    const char *field;
    const char *source;
    int32_t start, end;
} ds_canon_evidence;

/* One canonical deal: the fields of CanonicalDeal.avsc. Strings are owned by
 * the record (they live in c->strings). "" / -1 / DS_NO_DATE /
 * 0 mean null as in ds_mention. A retired record has deal_id, revision,
 * retired_into, block_key and updated; everything else is empty. */
typedef struct ds_canon {
    char deal_id[17];
    int64_t revision;
    char retired_into[17];
    char block_key[64];
    char buyer[4], seller[4];
    ds_canon_supplier *suppliers;
    size_t nsuppliers;
    char system[24], family[24];
    int64_t quantity;
    ds_canon_item *variants;
    size_t nvariants;
    ds_canon_item *extras;
    size_t nextras;
    ds_value value;
    char value_basis[64];
    ds_canon_claim *claims;
    size_t nclaims;
    ds_stage stage;
    ds_status status;
    int batch;
    int32_t signing_date;
    int signing_year;
    int32_t announce_date;
    int *delivery_years;
    size_t ndelivery_years;
    const char *place;           /* "" when unknown */
    ds_canon_source *sources;
    size_t nsources;
    ds_canon_link *links;
    size_t nlinks;
    ds_canon_evidence *evidence;
    size_t nevidence;
    int64_t updated;             /* newest non-duplicate source, 0 if none */
    int64_t delivered;           /* units reported delivered, -1 unknown */
    /* sources_total and evidence_total as written: 0 (the resolver's
     * records) writes nsources and nevidence, the whole lists; a capped
     * view (ds_canon_write_capped) sets the counts of the whole record, and
     * truncated is written true when either exceeds what is listed. */
    size_t sources_total, evidence_total;
    /* Not in the schema: */
    char ref[24];                /* reference row the deal matches, "" if none */
    uint64_t content_hash;       /* hash of the record without revision/updated */
    uint64_t hsources, hevidence; /* sums of the hashes of its sources' and evidence entries */
    char *strings;               /* holds the strings above (owned) */
} ds_canon;

typedef struct ds_resolver ds_resolver;

typedef struct {
    ds_canon **items;
    size_t n;
} ds_changes;

/* Creates a resolver. cat (may be NULL: no reference table, no rates, no
 * variant hierarchy) must outlive it. Returns NULL when out of memory. */
ds_resolver *ds_resolver_new(const ds_catalog *cat);
/* Frees the resolver and every record it handed out. Accepts NULL. */
void ds_resolver_destroy(ds_resolver *rs);

/* Adds one mention (primary or context; copied), or a later version of a
 * deal event held (see "Versions"). Returns 0 and sets *changes
 * to every canonical record to (re)publish, sorted by block key then deal id:
 * deals whose content changed (revision bumped), and retired ids. An already
 * known mention_id yields no change; a syndicated copy yields a change only
 * if it alters the hashed content (it can: it may bridge two clusters).
 * changes->items and the records stay valid until the next call of add or
 * destroy. Returns -1 when out of memory (the mention may then be kept
 * without its effects published), -2 for an invalid mention (empty
 * mention_id or block_key) or -3 when its block already holds the cap of
 * ds_resolver_set_max_mentions_per_block (nothing stored or published; a
 * redelivery or a later version of a held mention is still taken). */
int ds_resolver_add(ds_resolver *rs, const ds_mention *m, ds_changes *changes);

/* ds_resolver_add's return when its cancel function asked it to stop. */
#define DS_RESOLVE_CANCELLED (-4)
/* Whether an add should stop now; called from the resolving thread. */
typedef int (*ds_cancel_fn)(void *opaque);
/* Sets the function an add calls at its start and between the steps of
 * its recomputes (a step costs at most one pass over the block's
 * mentions; an add that extends a big deal's record in place takes none),
 * or NULL for none. Once it returns nonzero, that add stops at once and returns
 * DS_RESOLVE_CANCELLED, as do all later adds: the resolver then holds the
 * mention without its effects, possibly half-recomputed, and may only be
 * destroyed (nothing derived from it since its last consistent state may
 * be published or written to a changelog). */
void ds_resolver_set_cancel(ds_resolver *rs, ds_cancel_fn fn, void *opaque);

/* Records the fingerprint of an article seen without a mention (one that
 * yielded no deal) in the seen-article table and advances the retention clock
 * to its publication time. text_hash 0 is ignored. Returns 0 or -1 when out
 * of memory. */
int ds_resolver_note_article(ds_resolver *rs, const char *source_id, uint64_t text_hash, int64_t published);

/* Fills val, a CanonicalDeal record (reset by the caller or fresh from
 * ds_codec_value_new), from c. Returns 0 or -1 on an avro error. */
/* Appends the Avro binary body of c (CanonicalDeal, no framing) to out,
 * written directly: the bytes ds_canon_to_avro() and ds_codec_encode()
 * would write. Returns 0 or -1 (out of memory; out unaltered). */
int ds_canon_write(const ds_canon *c, ds_buf *out);
/* Default of --canonical-max-sources: most sources a published record lists. */
#define DS_CANON_MAX_SOURCES 1000
/* As ds_canon_write, listing at most max_sources of c's sources (SIZE_MAX:
 * all): the first ones of its list, which is in source order (earliest
 * published first, unknown last, then id), so that the record stays a
 * function of the deal's sources. A capped record lists only the evidence
 * of the sources it lists, and only the value claims of those sources
 * (each with those of its sources), and says how many sources and evidence
 * entries the deal has in all (sources_total, evidence_total, truncated
 * true). Returns 0 (all listed), 1 (capped) or -1 (out of memory; out
 * unaltered). */
int ds_canon_write_capped(const ds_canon *c, size_t max_sources, ds_buf *out);
/* The same record as an avro-c generic value of DS_SCHEMA_CANONICAL: the
 * reference ds_canon_write() is tested against. Returns 0 or -1. */
int ds_canon_to_avro(const ds_canon *c, avro_value_t *val);

/* Sets *out to the live deals of every block, sorted by deal id; returns
 * their number. The array stays valid until the next call of add, deals or
 * destroy, the records until the next add or destroy; records of the last
 * add's changes are among them. Blocks not touched by the last add are
 * recomputed, so the first call after an add costs about one recompute per
 * block and holds every record in memory until the next add. Returns 0 with
 * *out = NULL when out of memory or none. */
size_t ds_resolver_deals(ds_resolver *rs, const ds_canon ***out);

/* Number of mentions held (all blocks), for metrics; the reference rows'
 * are not counted (nor toward the per-block cap). */
size_t ds_resolver_mentions(const ds_resolver *rs);
/* Number of blocks held, for metrics. */
size_t ds_resolver_blocks(const ds_resolver *rs);
/* Number of live deals (what ds_resolver_deals would return, without
 * building them). */
size_t ds_resolver_deal_count(const ds_resolver *rs);
/* Bytes of packed mention records held (the records alone), for metrics. */
size_t ds_resolver_packed_bytes(const ds_resolver *rs);

/* Event-time retention of duplicate detection, in days; 0 (the default)
 * keeps fingerprints forever. See "Duplicates" above. Applies to what comes
 * after; expired fingerprints are dropped at once. */
void ds_resolver_set_retention(ds_resolver *rs, int64_t days);
/* Number of fingerprints in the seen-article table. */
size_t ds_resolver_fingerprints(const ds_resolver *rs);

/* Blocks of at least this many mentions are indexed, so that an add
 * recomputes only the deals it can change (see "Incremental adds"). */
#define DS_RESOLVER_INC_MIN 128
/* Sets that threshold; 0 recomputes every block whole on every add. The
 * result is the same either way. */
void ds_resolver_set_incremental(ds_resolver *rs, size_t min_mentions);
/* Caps the mentions one block holds (0, the default: no cap): an add of a
 * new mention to a full block returns -3. Bounds a block's changelog
 * record and its memory; the mentions refused are the caller's to report. */
void ds_resolver_set_max_mentions_per_block(ds_resolver *rs, size_t max);
/* Number of adds that recomputed only part of their block, for metrics. */
size_t ds_resolver_incremental_adds(const ds_resolver *rs);
/* Of those, the adds that extended the kept record of a big deal instead
 * of rebuilding it from its members (see "Incremental adds"). */
size_t ds_resolver_extended_adds(const ds_resolver *rs);

/* Materialises the rows of the catalog's reference table as canonical deals
 * (see "Reference rows") from now on: the rows whose block key owns()
 * accepts (owns NULL: every row), for instance the block keys of the
 * partitions a processor resolves. Their mentions enter at the next
 * ds_resolver_restore_finish or ds_resolver_seed_references and are never
 * part of ds_resolver_block_state nor of any changelog chunk. */
void ds_resolver_set_references(ds_resolver *rs, int (*owns)(const char *block_key, void *arg), void *arg);
/* Adds the owned reference rows not yet held, as ds_resolver_restore_finish
 * does (which it calls): *changes holds their deals to publish (new ones,
 * and deals a row joined). Returns 0 or -1 when out of memory. */
int ds_resolver_seed_references(ds_resolver *rs, ds_changes *changes);

/* Whether links may resolve to deals of other blocks (default 1). Such links
 * are only deterministic when the blocks involved live in one resolver: with
 * the state partitioned by block key over several instances, set 0 and
 * cross-block parents resolve through the reference table alone. */
void ds_resolver_set_cross_block(ds_resolver *rs, int enable);

/* ---- changelog (schemas/StateRecord.avsc) ---- */

typedef struct ds_deal_rev {  /* StateRecord.revisions[] */
    char deal_id[17];
    int64_t revision;
    uint64_t content_hash;
    int retired;                /* 1 retired, 0 not, -1 unknown (records of earlier versions) */
} ds_deal_rev;

/* The state of one block for its changelog record: its mentions (sorted by
 * mention_id) and the last revision and content hash of every id it ever
 * published, retired ones included. Both arrays are owned by the resolver and
 * valid until the next ds_resolver_add, _restore, _restore_finish,
 * _block_state or _destroy. Returns 0, -1 when the block is unknown, -2 when out of memory. */
int ds_resolver_block_state(ds_resolver *rs, const char *block_key, const ds_mention *const **ms, size_t *nms,
                            const ds_deal_rev **revs, size_t *nrevs);

/* Replaces the state of block_key with one record holding the whole block
 * (chunk 0, as versions before chunked changelogs wrote it): the same as
 * ds_resolver_restore_chunk of chunk 0 into an emptied block. */
int ds_resolver_restore(ds_resolver *rs, const char *block_key, const ds_mention *ms, size_t nms,
                        const ds_deal_rev *revs, size_t nrevs);

/* ---- changelog chunks ----
 *
 * A block's changelog is split into chunks (key block_key#N, N > 0), each
 * holding the mentions and revision entries placed in it, estimated at most
 * ds_resolver_set_chunk_bytes bytes encoded: a new mention, a new version of
 * one, and a new deal id's revision go to the block's open chunk (the
 * highest N) or, when it is full, to a new one (N + 1). A chunk is rewritten
 * when an item of it changes (a revision bumped, a version moved out, an
 * intent expired) and deleted when it empties. Writing only the chunks that
 * changed, a batch's changelog cost depends on what it changed, not on the
 * block's size, and no record outgrows the chunk size (plus one mention). */

/* Target size of a chunk, in encoded bytes (default DS_RESOLVER_CHUNK_BYTES;
 * 0 restores it). Applies to chunks opened after the call. */
#define DS_RESOLVER_CHUNK_BYTES (64 * 1024)
void ds_resolver_set_chunk_bytes(ds_resolver *rs, size_t bytes);

typedef struct ds_state_chunk {
    uint32_t chunk; /* 0: the whole-block record of earlier versions (key block_key) */
    int gone;       /* 1: empty now: delete its record (a tombstone) */
} ds_state_chunk;

/* The chunks of block_key changed since ds_resolver_chunks_written was last
 * called for it (placing revision entries new since then): the non-empty
 * ones, highest N first, then those to delete (chunk 0 last, once a restored
 * whole-block record's items have been placed in chunks). Written in this
 * order, a write cut short never loses an item that moved to a newer chunk.
 * *out is the resolver's, valid until the next call of this function or
 * destroy. Returns 0, -1 when the block is unknown, -2 when out of memory. */
int ds_resolver_chunks_dirty(ds_resolver *rs, const char *block_key, const ds_state_chunk **out, size_t *n);

/* The items of chunk `chunk` of block_key, as ds_resolver_block_state gives
 * a whole block's (same lifetime). Returns 0, -1 when the block or chunk is
 * unknown (or empty), -2 when out of memory. */
int ds_resolver_chunk_state(ds_resolver *rs, const char *block_key, uint32_t chunk, const ds_mention *const **ms,
                            size_t *nms, const ds_deal_rev **revs, size_t *nrevs);

/* Marks every chunk of block_key written (clean), forgets the empty ones. */
void ds_resolver_chunks_written(ds_resolver *rs, const char *block_key);

/* Adds one chunk record of block_key (copied) to the block's restored state:
 * the first call for a block since ds_resolver_restore_finish empties it,
 * the next ones add to it, in any order. Where two records hold the same
 * mention (a write cut short, or the whole-block record beside the chunks
 * that replaced it) the later version of a deal event is kept, else the one
 * of the higher chunk; for a revision, the highest. Such a chunk is marked
 * to be rewritten. Returns 0, -1 when out of memory, -2 when a mention has
 * no id or another block key. */
int ds_resolver_restore_chunk(ds_resolver *rs, const char *block_key, uint32_t chunk, const ds_mention *ms,
                              size_t nms, const ds_deal_rev *revs, size_t nrevs);

/* Number of mentions that left the state by expiry (see "Expiry"). */
size_t ds_resolver_expired(const ds_resolver *rs);

/* Recomputes every restored block. A deal whose content hash equals its
 * restored one is not republished (a retired id is recognised by the hash of
 * its retired record); anything else (e.g. after an upgrade changed the
 * rules) is published with the next revision in *changes, as ds_resolver_add
 * does. Returns 0 or -1 when out of memory. */
int ds_resolver_restore_finish(ds_resolver *rs, ds_changes *changes);

#endif
