/* Unit tests for quire verify's checks (ledger/qr_verify.h): every row the
 * figures depend on is covered by its event's digest, so an edit of any
 * table behind the ledger's back is found and named; rows of events written
 * before schema 6 are counted as not covered, not as tampering; the chain
 * walk names the event that does not follow; and one real archive (G4, JPEG
 * and Flate pages) verifies deep, while its bytes changed at random offsets
 * or cut short are reported, never crash the reader. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <sqlite3.h>

#include "qr_image.h"
#include "qr_ledger.h"
#include "qr_pdf.h"
#include "qr_test.h"
#include "qr_verify.h"

#define FP "1111111111111111111111111111111111111111111111111111111111111111"
#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static char dir[512];

/* ---- findings --------------------------------------------------------------- */

typedef struct seen {
    int n;
    int kinds[QR_VERIFY__COUNT];
    char text[32][700];
} seen;

static int collect(void *user, const qr_verify_finding *f)
{
    seen *s = user;
    s->kinds[f->kind]++;
    if (s->n < 32)
        snprintf(s->text[s->n], sizeof s->text[0], "%s|%s|%d|%s", qr_verify_kind_name(f->kind),
                 f->file_id ? f->file_id : "", f->version, f->what);
    s->n++;
    return 0;
}

static bool saw(const seen *s, qr_verify_kind k, const char *needle)
{
    for (int i = 0; i < s->n && i < 32; i++)
        if (!strncmp(s->text[i], qr_verify_kind_name(k), strlen(qr_verify_kind_name(k))) &&
            strstr(s->text[i], needle))
            return true;
    return false;
}

static void show(const seen *s)
{
    for (int i = 0; i < s->n && i < 32; i++)
        fprintf(stderr, "  finding: %s\n", s->text[i]);
}

/* ---- a ledger with one of everything ---------------------------------------------- */

static void sql(const char *path, const char *text)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECKF(sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", text,
           sqlite3_errmsg(db));
    sqlite3_close(db);
}

static void upsert(qr_ledger *l, const char *csv, int64_t b)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    CHECKF(qr_manifest_parse("m.csv", (const uint8_t *)csv, strlen(csv), 0, &m, &err) == QR_OK,
           "%s", err.msg);
    qr_ledger_upsert_result res;
    CHECKF(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_MANIFEST, b, false, &res, &err) ==
           QR_OK, "%s", err.msg);
    qr_ledger_upsert_result_free(&res);
    qr_manifest_free(&m);
}

static void commit(qr_ledger *l, int64_t b, const char *id, bool archived, int n_pages,
                   const qr_fault *faults, size_t n_faults)
{
    qr_ledger_page pages[3];
    for (int i = 0; i < 3; i++)
        pages[i] = (qr_ledger_page){.page = i + 1, .source = "src", .format = "tiff-g4",
                                    .width = 100, .height = 200, .dpi = 300, .source_page = 1};
    char path[64];
    snprintf(path, sizeof path, "arch/%s.pdf", id);
    qr_ledger_outcome o = {.file_id = id, .batch = b, .version = 1, .archived = archived,
                           .archive_path = archived ? path : NULL,
                           .archive_sha256 = archived ? SHA_A : NULL, .source_fingerprint = FP,
                           .delivered_pages = n_pages, .pages = pages, .n_pages = (size_t)n_pages,
                           .faults = faults, .n_faults = n_faults};
    qr_err err = {0};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
}

/* Inventory, three outcomes (A archived, B faulty and its accept, C
 * archived), a plan, a person's rescan job, an ended batch. */
static void build(const char *path)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(path, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    qr_ledger_set_time(l, 1700000000);
    int64_t b = 0;
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d"};
    CHECK(qr_ledger_batch_begin(l, &bi, &b, &err) == QR_OK);
    upsert(l, "file_id,box,expected_pages\nA,B1,2\nB,B1,1\nC,B2,1\n", b);
    commit(l, b, "A", true, 2, NULL, 0);
    qr_fault f = {.kind = QR_FAULT_BLANK, .page = 1, .value = 0.01, .threshold = 0.08};
    snprintf(f.detail, sizeof f.detail, "blank");
    commit(l, b, "B", false, 1, &f, 1);
    CHECKF(qr_ledger_accept_add(l, "B", 1, QR_FAULT_BLANK, "a divider", "ana", NULL, &err) ==
           QR_OK, "%s", err.msg);
    commit(l, b, "C", true, 1, NULL, 0);
    qr_ledger_plan_point pts[2] = {{"2030-01-01", 40, 0}, {"2030-12-31", 100, 0}};
    CHECKF(qr_ledger_plan_set(l, pts, 2, false, "po", NULL, &err) == QR_OK, "%s", err.msg);
    CHECKF(qr_ledger_rescan_submit(l, "C", "1", "a torn page", "rita", NULL, &err) == QR_OK,
           "%s", err.msg);
    qr_ledger_batch_counts c = {.files_archived = 2, .files_faulty = 1, .pages = 4};
    CHECK(qr_ledger_batch_end(l, b, "done", &c, &err) == QR_OK);
    qr_ledger_close(&l);
}

static void copy(const char *from, const char *to)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    CHECK(system(cmd) == 0);
}

/* The rows and current check (and the chain) of the ledger at path. */
static void check(const char *path, seen *s, qr_verify_summary *sum)
{
    memset(s, 0, sizeof *s);
    memset(sum, 0, sizeof *sum);
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open_existing(path, &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    CHECKF(qr_verify_chain(l, collect, s, sum, &err) == QR_OK, "%s", err.msg);
    CHECKF(qr_verify_rows(l, collect, s, sum, &err) == QR_OK, "%s", err.msg);
    qr_ledger_close(&l);
}

static void test_clean(const char *pristine)
{
    seen s;
    qr_verify_summary sum;
    check(pristine, &s, &sum);
    CHECK_EQ_INT(s.n, 0);
    show(&s);
    CHECKF(sum.rows_checked >= 15 && sum.rows_old == 0 && sum.events_old == 0,
           "%" PRId64 " rows checked, %" PRId64 " old, %" PRId64 " events old",
           sum.rows_checked, sum.rows_old, sum.events_old);
    CHECK(sum.events > 10 && sum.chain_ok_to == sum.events && sum.rows_from == 1);
}

typedef struct tamper {
    const char *sql;
    qr_verify_kind kind;        /* QR_VERIFY__COUNT: no finding */
    const char *needle;
} tamper;

static const tamper CASES[] = {
    {"UPDATE pages SET dpi = 1 WHERE file_id = 'A' AND page = 2", QR_VERIFY_ROWS,
     "A|1|file A version 1 (outcome 1): its page rows differ from what was recorded by event"},
    {"UPDATE pages SET separator = 1 WHERE file_id = 'A' AND page = 2", QR_VERIFY_ROWS,
     "A|1|file A version 1 (outcome 1): its page rows differ from what was recorded by event"},
    {"DELETE FROM pages WHERE file_id = 'A' AND page = 2", QR_VERIFY_ROWS,
     "file A version 1 (outcome 1): its page rows lost rows after event"},
    {"UPDATE faults SET value = 0 WHERE file_id = 'B'", QR_VERIFY_ROWS,
     "file B version 1 (outcome 2): its fault rows differ"},
    {"INSERT INTO faults(outcome, file_id, version, page, kind, batch)"
     " VALUES(1, 'A', 1, 1, 'blank', 1)", QR_VERIFY_ROWS,
     "file A version 1 (outcome 1): its fault rows gained rows after event"},
    {"UPDATE files SET pages = 9 WHERE file_id = 'C'", QR_VERIFY_ROWS,
     "file C version 1 (outcome 3): its files row differs"},
    {"DELETE FROM files WHERE file_id = 'C'", QR_VERIFY_ROWS,
     "file C version 1 (outcome 3): its files row was removed after event"},
    {"UPDATE inventory SET expected_pages = 7 WHERE file_id = 'A'", QR_VERIFY_ROWS,
     "the inventory's rows differ from what was recorded by event"},
    {"DELETE FROM plan WHERE date = '2030-12-31'", QR_VERIFY_ROWS,
     "the plan's rows lost rows after event"},
    {"UPDATE accepts SET reason = 'nothing to see'", QR_VERIFY_ROWS,
     "accept 1 (file B): its row differs"},
    {"UPDATE rescan_jobs SET status = 'closed' WHERE file_id = 'C'", QR_VERIFY_ROWS,
     "rescan job 2 (file C): its row differs"},
    {"UPDATE batches SET files_archived = 99", QR_VERIFY_ROWS, "batch 1: its row differs"},
    {"INSERT INTO accepts(file_id, page, kind, reason, actor, at)"
     " VALUES('A', 0, 'blank', 'x', 'm', 't')", QR_VERIFY_UNCOVERED,
     "accept 2 (file A): its row (1 row): no event covers it"},
    {"INSERT INTO pages(outcome, file_id, version, page, verdict, batch, origin_batch)"
     " VALUES(77, 'Z', 1, 1, 'ok', 1, 1)", QR_VERIFY_UNCOVERED, "(outcome 77): its page rows"},
    {"UPDATE files SET current = 0 WHERE file_id = 'A'", QR_VERIFY_CURRENT,
     "file A: 0 outcomes marked current"},
    {"DROP TRIGGER events_no_update; UPDATE events SET actor = 'x' WHERE id = 3",
     QR_VERIFY_CHAIN, "event 3 (archived) does not give its hash: its fields were edited"},
    {"UPDATE accepts SET used_batch = 1", QR_VERIFY__COUNT, ""}, /* not covered: no figure */
};

static void test_tampering(const char *pristine)
{
    char work[600];
    snprintf(work, sizeof work, "%s/work.db", dir);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const tamper *t = &CASES[i];
        copy(pristine, work);
        sql(work, t->sql);
        seen s;
        qr_verify_summary sum;
        check(work, &s, &sum);
        bool want_none = t->kind == QR_VERIFY__COUNT;
        bool ok = want_none ? s.n == 0 : saw(&s, t->kind, t->needle);
        CHECKF(ok, "%s: want %s \"%s\", got %d findings", t->sql,
               want_none ? "none" : qr_verify_kind_name(t->kind), t->needle, s.n);
        if (!ok)
            show(&s);
    }
}

/* ---- a ledger written before schema 6 --------------------------------------------- */

/* Recompute the chain by the rule events.c documents. */
static void rechain(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL, *up = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    sqlite3_exec(db, "DROP TRIGGER events_no_update; BEGIN", NULL, NULL, NULL);
    CHECK(sqlite3_prepare_v2(db, "SELECT CAST(id AS TEXT), ts, CAST(batch AS TEXT), file_id,"
                                 " kind, actor, detail, id FROM events ORDER BY id", -1, &st,
                             NULL) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", -1,
                             &up, NULL) == SQLITE_OK);
    char prev[QR_SHA256_HEX], hash[QR_SHA256_HEX];
    memset(prev, '0', 64);
    prev[64] = '\0';
    while (st && up && sqlite3_step(st) == SQLITE_ROW) {
        qr_sha256 *h = qr_sha256_new();
        qr_sha256_update(h, prev, 64);
        for (int i = 0; i < 7; i++) {
            const char *f = (const char *)sqlite3_column_text(st, i);
            char len[32];
            if (!f) {
                qr_sha256_update(h, "-", 1);
                continue;
            }
            int n = snprintf(len, sizeof len, "%zu:", strlen(f));
            qr_sha256_update(h, len, (size_t)n);
            qr_sha256_update(h, f, strlen(f));
        }
        uint8_t d[QR_SHA256_LEN];
        qr_sha256_final(h, d);
        qr_sha256_free(&h);
        qr_hex(d, sizeof d, hash);
        sqlite3_reset(up);
        sqlite3_bind_text(up, 1, prev, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 3, sqlite3_column_int64(st, 7));
        CHECK(sqlite3_step(up) == SQLITE_DONE);
        memcpy(prev, hash, sizeof prev);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
}

static void test_before_schema6(const char *pristine)
{
    char old[600];
    snprintf(old, sizeof old, "%s/old.db", dir);
    copy(pristine, old);
    /* What a schema-4 quire wrote: the same events without "rows"; the
     * migration to 5 then marked the next event as the first with digests. */
    sql(old, "DROP TRIGGER events_no_update;"
             " UPDATE events SET detail = json_remove(detail, '$.rows');"
             " UPDATE ledger_info SET value = (SELECT max(id) + 1 FROM events)"
             "  WHERE key = 'rows_covered_from'");
    rechain(old);
    seen s;
    qr_verify_summary sum;
    check(old, &s, &sum);
    CHECKF(s.n == 0, "a ledger from before schema 6: %d findings", s.n);
    show(&s);
    CHECKF(sum.events_old == sum.events && sum.rows_old >= 15 && sum.rows_checked == 0,
           "%" PRId64 " of %" PRId64 " events old, %" PRId64 " rows old, %" PRId64 " checked",
           sum.events_old, sum.events, sum.rows_old, sum.rows_checked);
    int64_t old_rows = sum.rows_old;

    /* Its next writes are covered; the new import covers the whole inventory. */
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECK(qr_ledger_open(old, &l, &err) == QR_OK);
    int64_t b = 0;
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d2"};
    CHECK(l && qr_ledger_batch_begin(l, &bi, &b, &err) == QR_OK);
    upsert(l, "file_id,box,expected_pages\nD,B3,3\n", b);
    commit(l, b, "D", true, 3, NULL, 0);
    qr_ledger_close(&l);
    check(old, &s, &sum);
    CHECKF(s.n == 0, "after new writes: %d findings", s.n);
    show(&s);
    CHECK(sum.rows_checked >= 4 + 1 + 1 && sum.rows_old < old_rows);

    /* The same events claimed to be written with digests: each is a finding. */
    sql(old, "UPDATE ledger_info SET value = 1 WHERE key = 'rows_covered_from'");
    check(old, &s, &sum);
    CHECK(saw(&s, QR_VERIFY_ROWS, "event 3 (archived) carries no digest of the rows it wrote"));
    CHECK(saw(&s, QR_VERIFY_ROWS, "(inventory_import) carries no digest"));
}

/* ---- a real archive ------------------------------------------------------------------ */

static const char *PAGE_SHA[3] = {
    "1010101010101010101010101010101010101010101010101010101010101010",
    "2020202020202020202020202020202020202020202020202020202020202020",
    "3030303030303030303030303030303030303030303030303030303030303030"};

/* G4, JPEG and Flate pages of a text page, with provenance; sha gets the
 * archive's digest (hex). */
static void write_archive(const char *path, char sha[QR_SHA256_HEX])
{
    qr_err err = {0};
    struct Pix *bw = qr_test_text_page(600, 800, 8, 40);
    struct Pix *gray = bw ? pixConvert1To8(NULL, bw, 255, 0) : NULL;
    uint8_t *data[3] = {0};
    size_t len[3] = {0};
    CHECK(gray && qr_encode_g4(bw, &data[0], &len[0], &err) == QR_OK &&
          qr_encode_jpeg(gray, 80, &data[1], &len[1], &err) == QR_OK &&
          qr_encode_flate(gray, &data[2], &len[2], &err) == QR_OK);
    qr_pdf *pdf = NULL;
    CHECKF(qr_pdf_open(path, QR_PDFA_2B, &pdf, &err) == QR_OK, "%s", err.msg);
    static const qr_filter filt[3] = {QR_FILTER_CCITT_G4, QR_FILTER_DCT, QR_FILTER_FLATE};
    static const char *src[3] = {"scans/A/0001.tif", "scans/A/0002.jpg", "scans/A/0003.png"};
    for (int i = 0; i < 3 && pdf && data[i]; i++) {
        qr_pdf_image im = {.filter = filt[i], .width = 600, .height = 800, .components = 1,
                           .bpc = i ? 8 : 1, .data = data[i], .len = len[i], .xdpi = 150,
                           .ydpi = 150};
        qr_pdf_prov pv = {.source = src[i], .sha256 = PAGE_SHA[i], .encoding = "x",
                          .stored = "passthrough", .xdpi = 150, .ydpi = 150, .source_page = 1};
        CHECKF(qr_pdf_add_page(pdf, &im, &pv, &err) == QR_OK, "%s", err.msg);
    }
    qr_kv kv = {"file_id", "A"};
    qr_pdf_meta meta = {.title = "A", .created = 1700000000, .modified = 1700000000,
                        .extra = &kv, .n_extra = 1};
    uint8_t d[QR_SHA256_LEN];
    CHECKF(pdf && qr_pdf_finish(&pdf, &meta, d, &err) == QR_OK, "%s", err.msg);
    qr_hex(d, sizeof d, sha);
    for (int i = 0; i < 3; i++)
        free(data[i]);
    pixDestroy(&bw);
    pixDestroy(&gray);
}

static void record_archive(const char *ledger, const char *path, const char *sha)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECK(qr_ledger_open(ledger, &l, &err) == QR_OK);
    int64_t b = 0;
    qr_ledger_batch_info bi = {.host = "h", .user = "u", .delivery = "/d"};
    CHECK(l && qr_ledger_batch_begin(l, &bi, &b, &err) == QR_OK);
    static const char *src[3] = {"scans/A/0001.tif", "scans/A/0002.jpg", "scans/A/0003.png"};
    qr_ledger_page pages[3];
    for (int i = 0; i < 3; i++)
        pages[i] = (qr_ledger_page){.page = i + 1, .source = src[i], .source_sha256 = PAGE_SHA[i],
                                    .format = "x", .width = 600, .height = 800, .dpi = 150,
                                    .source_page = 1};
    qr_ledger_outcome o = {.file_id = "A", .batch = b, .version = 1, .archived = true,
                           .archive_path = path, .archive_sha256 = sha, .source_fingerprint = FP,
                           .delivered_pages = 3, .pages = pages, .n_pages = 3};
    CHECKF(l && qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
    qr_ledger_close(&l);
}

/* qr_verify_archive(A, 1), deep, on the ledger at path. */
static bool verify_a(const char *ledger, seen *s)
{
    memset(s, 0, sizeof *s);
    qr_ledger *l = NULL;
    qr_err err = {0};
    bool ok = false;
    CHECK(qr_ledger_open_existing(ledger, &l, &err) == QR_OK);
    qr_verify_opts o = {.deep = true};
    int rc = l ? qr_verify_archive(l, "A", 1, &o, collect, s, &ok, &err) : QR_EFATAL;
    CHECKF(rc == QR_OK, "qr_verify_archive: %s", err.msg);
    qr_ledger_close(&l);
    return ok;
}

static void flip(const char *path, size_t off, uint8_t x)
{
    size_t len;
    uint8_t *b = qr_test_read(path, &len);
    if (off < len)
        b[off] ^= x;
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(b, 1, len, f) == len);
    if (f)
        fclose(f);
    free(b);
}

static void put_back(const char *path, const uint8_t *orig, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(orig, 1, len, f) == len);
    if (f)
        fclose(f);
}

static void test_archive(void)
{
    char ledger[600], arch[600], sha[QR_SHA256_HEX];
    snprintf(ledger, sizeof ledger, "%s/arch.db", dir);
    snprintf(arch, sizeof arch, "%s/A.pdf", dir);
    write_archive(arch, sha);
    record_archive(ledger, arch, sha);
    seen s;
    CHECK(verify_a(ledger, &s));
    CHECK_EQ_INT(s.n, 0);
    show(&s);

    /* The ledger's page 2 no longer what the archive says: XMP and digest. */
    sql(ledger, "UPDATE pages SET source_sha256 = 'ff' WHERE page = 2");
    CHECK(!verify_a(ledger, &s));
    CHECK(saw(&s, QR_VERIFY_PROVENANCE, "page 2: the XMP's source SHA-256 is not the ledger's"));
    CHECK(saw(&s, QR_VERIFY_ROWS, "its page rows differ"));
    sql(ledger, "UPDATE pages SET source_sha256 = '2020202020202020202020202020202020202020"
                "202020202020202020202020' WHERE page = 2");

    size_t len;
    uint8_t *orig = qr_test_read(arch, &len);
    /* The JPEG's and the G4 image's bytes changed: modified, and deep names the page. */
    const uint8_t *jpeg = memmem(orig, len, "\xFF\xD8\xFF", 3);
    CHECK(jpeg != NULL);
    if (jpeg) {
        for (size_t k = 600; k < 640; k++)
            flip(arch, (size_t)(jpeg - orig) + k, 0x5A);
        CHECK(!verify_a(ledger, &s));
        CHECK(saw(&s, QR_VERIFY_MODIFIED, "its SHA-256 is not the one recorded"));
        CHECKF(saw(&s, QR_VERIFY_STRUCTURE, "page 2: an image stream cannot be decoded"),
               "JPEG damage not named");
        show(&s);
        put_back(arch, orig, len);
    }
    /* Hostile input: one byte changed at 400 random offsets, and the file cut
     * at 60 lengths; every run must report (modified) and come back. */
    srand(20240611);
    int reported = 0;
    for (int i = 0; i < 400; i++) {
        flip(arch, (size_t)rand() % len, (uint8_t)(1 + rand() % 255));
        reported += !verify_a(ledger, &s) && s.kinds[QR_VERIFY_MODIFIED] == 1;
        put_back(arch, orig, len);
    }
    CHECK_EQ_INT(reported, 400);
    int cut = 0;
    for (int i = 1; i <= 60; i++) {
        put_back(arch, orig, len * (size_t)i / 61);
        cut += !verify_a(ledger, &s) && s.kinds[QR_VERIFY_MODIFIED] == 1 &&
               (s.kinds[QR_VERIFY_PROVENANCE] || s.kinds[QR_VERIFY_STRUCTURE]);
    }
    CHECK_EQ_INT(cut, 60);
    put_back(arch, orig, len);
    CHECK(verify_a(ledger, &s));
    remove(arch);
    CHECK(!verify_a(ledger, &s) && saw(&s, QR_VERIFY_MISSING, "the archive is not there"));
    free(orig);
}

int main(void)
{
    qr_test_tmpdir("test_ledger_verify", dir, sizeof dir);
    char pristine[600];
    snprintf(pristine, sizeof pristine, "%s/pristine.db", dir);
    build(pristine);
    test_clean(pristine);
    test_tampering(pristine);
    test_before_schema6(pristine);
    test_archive();
    return qr_test_end();
}
