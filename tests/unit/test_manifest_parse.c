/* Unit tests for manifest parsing: quoting, BOM, metadata, lookup, and each
 * error case with the line number the operator must fix (a NUL byte among
 * them, named as one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_manifest.h"
#include "qr_test.h"

static qr_manifest *parse(const char *text, int expect_rc)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    int rc = qr_manifest_parse("m.csv", (const uint8_t *)text, strlen(text), 0, &m, &err);
    CHECKF(rc == expect_rc, "rc %d (%s), expected %d", rc, err.msg, expect_rc);
    CHECK(m != NULL);
    return m;
}

/* Exactly one error, with this text. */
static void expect_error(const char *text, const char *message)
{
    qr_manifest *m = parse(text, QR_ECORRUPT);
    if (!m)
        return;
    CHECK_EQ_INT(qr_manifest_error_count(m), 1);
    const char *e = qr_manifest_error_at(m, 0);
    CHECKF(e && strcmp(e, message) == 0, "got '%s', expected '%s'", e ? e : "(none)", message);
    qr_manifest_free(&m);
}

/* The same for a text of len bytes, which may hold NUL bytes. */
static void expect_error_n(const char *text, size_t len, const char *message)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    int rc = qr_manifest_parse("m.csv", (const uint8_t *)text, len, 0, &m, &err);
    CHECKF(rc == QR_ECORRUPT, "rc %d (%s), expected QR_ECORRUPT", rc, err.msg);
    if (!m)
        return;
    CHECKF(qr_manifest_error_count(m) == 1, "%zu errors, first '%s'",
           qr_manifest_error_count(m), qr_manifest_error_at(m, 0));
    const char *e = qr_manifest_error_at(m, 0);
    CHECKF(e && strcmp(e, message) == 0, "got '%s', expected '%s'", e ? e : "(none)", message);
    qr_manifest_free(&m);
}

#define EXPECT_ERROR_N(lit, message) expect_error_n(lit, sizeof lit - 1, message)

/* A NUL byte would cut a value short where C strings end: "A\0B" would be
 * the id "A", reported as a duplicate, and a title would lose its tail
 * without a word. It is reported for what it is, on its physical line. */
static void test_nul(void)
{
    EXPECT_ERROR_N("file_id,expected_pages\nA,1\nA\0B,2\n",
                   "m.csv:3: the line contains a NUL byte (column 2); a manifest is text");
    EXPECT_ERROR_N("file_id,expected_pages,title\nA,1,x\0y\n",
                   "m.csv:2: the line contains a NUL byte (column 6); a manifest is text");
    EXPECT_ERROR_N("file_id,expected_pages,title\nA,1,\"one\ntw\0o\"\nB,1,t\n",
                   "m.csv:3: the line contains a NUL byte (column 3); a manifest is text");
    /* the rest of the manifest is still read: B's error comes too */
    qr_manifest *m = NULL;
    qr_err err = {0};
    static const char t[] = "file_id,expected_pages\nA\0,1\nB,x\n";
    CHECK(qr_manifest_parse("m.csv", (const uint8_t *)t, sizeof t - 1, 0, &m, &err) ==
          QR_ECORRUPT);
    CHECK(m && qr_manifest_error_count(m) == 2 && qr_manifest_error_line(m, 1) == 3);
    qr_manifest_free(&m);
}

static void test_good(void)
{
    const char *t = "\xEF\xBB\xBF" "file_id,box,expected_pages,title,dept\r\n"
                    "A-1,B1,3,\"Smith, John\",HR\r\n"
                    "\r\n"
                    "A-2,B1,12,\"Line one\nline \"\"two\"\"\",Ops\r\n"
                    "C\xC3\xA9-3,B2,1,Caf\xC3\xA9 \xC5\x9E" "ahin,\r\n";
    qr_manifest *m = parse(t, QR_OK);
    CHECK_EQ_INT(qr_manifest_count(m), 3);
    const qr_manifest_row *r = qr_manifest_find(m, "A-2");
    CHECK(r && r->expected_pages == 12 && r->line == 4);
    CHECK(r && strcmp(r->title, "Line one\nline \"two\"") == 0);
    CHECK(r && r->n_meta == 1 && strcmp(r->meta[0].key, "dept") == 0 &&
          strcmp(r->meta[0].value, "Ops") == 0);
    r = qr_manifest_find(m, "A-1");
    CHECK(r && strcmp(r->title, "Smith, John") == 0 && strcmp(r->box, "B1") == 0);
    CHECK(r && r->line == 2);
    r = qr_manifest_find(m, "C\xC3\xA9-3");
    CHECK(r && r->line == 6 && strcmp(r->meta[0].value, "") == 0);
    CHECK(qr_manifest_find(m, "nope") == NULL);
    CHECK(strcmp(qr_manifest_row_at(m, 0)->file_id, "A-1") == 0);
    CHECK(qr_manifest_total_pages(m) == 16);
    qr_manifest_free(&m);
    CHECK(m == NULL);
}

static void test_minimal_columns(void)
{
    qr_manifest *m = parse("expected_pages,file_id\n2,X\n", QR_OK);
    const qr_manifest_row *r = qr_manifest_find(m, "X");
    CHECK(r && r->expected_pages == 2 && r->box[0] == '\0' && r->title[0] == '\0');
    CHECK(r && r->n_meta == 0);
    qr_manifest_free(&m);
}

static void test_errors(void)
{
    expect_error("", "m.csv:1: empty manifest: no header row");
    expect_error("\xEF\xBB\xBF\n\n", "m.csv:1: empty manifest: no header row");
    expect_error("file_id,box\nA,B\n", "m.csv:1: missing required column 'expected_pages'");
    expect_error("box,expected_pages\nB,2\n", "m.csv:1: missing required column 'file_id'");
    expect_error("file_id,expected_pages\nA,2\nB,x\n",
                 "m.csv:3: expected_pages 'x' is not a positive integer");
    expect_error("file_id,expected_pages\nA,0\n",
                 "m.csv:2: expected_pages '0' is not a positive integer");
    expect_error("file_id,expected_pages\nA,-3\n",
                 "m.csv:2: expected_pages '-3' is not a positive integer");
    expect_error("file_id,expected_pages\nA,2.5\n",
                 "m.csv:2: expected_pages '2.5' is not a positive integer");
    expect_error("file_id,expected_pages\nA,99999999999999999999\n",
                 "m.csv:2: expected_pages '99999999999999999999' exceeds the limit of 100000");
    expect_error("file_id,expected_pages,title\nA,1,\"x\ny\"\nB,2,t\nA,3,u\n",
                 "m.csv:5: duplicate file_id 'A' (first on line 2)");
    expect_error("file_id,expected_pages\nA,1\nB\n", "m.csv:3: expected 2 fields, found 1");
    expect_error("file_id,expected_pages\nA,1,extra\n", "m.csv:2: expected 2 fields, found 3");
    expect_error("file_id,expected_pages\n,1\n", "m.csv:2: file_id '' is empty");
    expect_error("file_id,expected_pages\n../x,1\n",
                 "m.csv:2: file_id '../x' contains a path separator");
    expect_error("file_id,expected_pages\nA,1\n\"B\tC\",2\n",
                 "m.csv:3: file_id 'B\tC' contains a control character");
    /* An id is never changed behind the operator's back: a space at either
     * end (which the parser used to trim, so the folder "A " no longer
     * matched) and a leading dot (a hidden folder, skipped) are refused. */
    expect_error("file_id,expected_pages\nA ,1\n",
                 "m.csv:2: file_id 'A ' begins or ends with a space");
    expect_error("file_id,expected_pages\nB,1\n\" C\",1\n",
                 "m.csv:3: file_id ' C' begins or ends with a space");
    expect_error("file_id,expected_pages\n.hidden,1\n",
                 "m.csv:2: file_id '.hidden' starts with a dot (a hidden name, which delivery "
                 "readers skip)");
    expect_error("file_id,expected_pages\n..,1\n", "m.csv:2: file_id '..' starts with a dot "
                 "(a hidden name, which delivery readers skip)");
}

/* Other fields and the header keep being trimmed of spaces and tabs. */
static void test_trim(void)
{
    qr_manifest *m = NULL;
    qr_err err = {0};
    const char *t = "file_id , expected_pages ,box\nA, 3 ,\t B1 \n";
    CHECKF(qr_manifest_parse("m.csv", (const uint8_t *)t, strlen(t), 0, &m, &err) == QR_OK,
           "%s", err.msg);
    const qr_manifest_row *r = m ? qr_manifest_find(m, "A") : NULL;
    CHECK(r && r->expected_pages == 3 && strcmp(r->box, "B1") == 0);
    qr_manifest_free(&m);
}

static void test_error_lines(void)
{
    /* Unbalanced: an opening quote never closed runs to the end of the file. */
    expect_error("file_id,expected_pages,title\nA,1,ok\nB,2,\"never closed\nC,3,x\n",
                 "m.csv:3: unterminated quoted field (unbalanced quotes)");
    /* A stray quote inside an unquoted field; the parser recovers on line 4. */
    qr_manifest *m = parse("file_id,expected_pages,title\nA,1,ok\nB,2,bad \"q\"\nC,3,x\n",
                           QR_ECORRUPT);
    CHECK_EQ_INT(qr_manifest_error_count(m), 1);
    CHECK_EQ_INT(qr_manifest_error_line(m, 0), 3);
    CHECK(qr_manifest_find(m, "C") != NULL && qr_manifest_find(m, "B") == NULL);
    qr_manifest_free(&m);
    /* Invalid UTF-8 on the second physical line of a record. */
    expect_error("file_id,expected_pages,title\nA,1,\"ok\nbad \xC3\x28\"\n",
                 "m.csv:3: invalid UTF-8 (byte 0xC3 at column 5)");
    expect_error("file_id,expected_pages\nA\xED\xA0\x80,1\n",
                 "m.csv:2: invalid UTF-8 (byte 0xED at column 2)");
    /* Several errors come back sorted by line. */
    m = parse("file_id,expected_pages\nA,x\nA,1\nB\nA,2\n", QR_ECORRUPT);
    CHECK_EQ_INT(qr_manifest_error_count(m), 3);
    CHECK_EQ_INT(qr_manifest_error_line(m, 0), 2);
    CHECK_EQ_INT(qr_manifest_error_line(m, 1), 4);
    CHECK_EQ_INT(qr_manifest_error_line(m, 2), 5);
    CHECK(strstr(qr_manifest_error_at(m, 2), "first on line 3") != NULL);
    qr_manifest_free(&m);
}

static void test_stock(void)
{
    const char *t = "file_id,box\nS1,B9\n";
    qr_manifest *m = NULL;
    qr_err err = {0};
    CHECK_EQ_INT(qr_manifest_parse("s.csv", (const uint8_t *)t, strlen(t), QR_MANIFEST_STOCK,
                                   &m, &err), QR_OK);
    const qr_manifest_row *r = m ? qr_manifest_find(m, "S1") : NULL;
    CHECK(r && r->expected_pages == 0 && strcmp(r->box, "B9") == 0);
    qr_manifest_free(&m);
}

/* Count the data records of a CSV with Python's csv module, independently. */
static long python_rows(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.DictReader("
             "open(sys.argv[1], encoding=\"utf-8-sig\", newline=\"\")))))' '%s'", path);
    FILE *p = popen(cmd, "r");
    long n = -1;
    if (p) {
        if (fscanf(p, "%ld", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static void test_make_batch(void)
{
    const char *shared = qr_test_env("QUIRE_SHARED");
    char dir[512], cmd[2048], path[600];
    if (!shared || !qr_test_corpus("", dir, sizeof dir)) {
        printf("skip make_batch manifest: QUIRE_SHARED corpus absent\n");
        return;
    }
    qr_test_tmpdir("test_manifest_parse", dir, sizeof dir);
    snprintf(cmd, sizeof cmd,
             "cd '%s/corpus' && /usr/bin/python3 make_batch.py --src real --out '%s/b' "
             "--files 12 --pages-min 1 --pages-max 8 --seed 7 --faults 0.2 >/dev/null 2>&1",
             shared, dir);
    CHECK(system(cmd) == 0);
    snprintf(path, sizeof path, "%s/b/manifest.csv", dir);
    qr_manifest *m = NULL;
    qr_err err = {0};
    CHECKF(qr_manifest_load(path, 0, &m, &err) == QR_OK, "%s", err.msg);
    if (!m)
        return;
    long want = python_rows(path);
    CHECK(want > 0);
    CHECK_EQ_INT(qr_manifest_count(m), want);
    for (size_t i = 0; i < qr_manifest_count(m); i++) {
        const qr_manifest_row *r = qr_manifest_row_at(m, i);
        CHECK(qr_manifest_find(m, r->file_id) == r && r->expected_pages >= 1);
    }
    qr_manifest_free(&m);
}

int main(void)
{
    test_good();
    test_minimal_columns();
    test_errors();
    test_nul();
    test_error_lines();
    test_trim();
    test_stock();
    test_make_batch();
    return qr_test_end();
}
