/* Unit tests for the CSV cell writer (util/csv_out.c): the exact text of
 * guarded and plain cells, plain numbers left as numbers, and the round
 * trip a reader does (RFC 4180 unquoting, then dropping one leading ')
 * giving back every value exactly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_test.h"
#include "qr_util.h"

static char *cell_text(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    qr_csv_cell(f, s);
    fclose(f);
    return buf;
}

static void cell_is(const char *in, const char *want)
{
    char *got = cell_text(in);
    CHECKF(got && strcmp(got, want) == 0, "cell(%s) = [%s], want [%s]", in ? in : "NULL",
           got ? got : "(null)", want);
    free(got);
}

static void test_cells(void)
{
    /* plain text and RFC 4180 quoting */
    cell_is("PEN-1983-71522", "PEN-1983-71522");
    cell_is("", "");
    cell_is(NULL, "");
    cell_is("Smith, J", "\"Smith, J\"");
    cell_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    cell_is("two\nlines", "\"two\nlines\"");
    /* what a spreadsheet runs: guarded and quoted */
    cell_is("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\"");
    cell_is("=HYPERLINK(\"http://x\";\"y\")", "\"'=HYPERLINK(\"\"http://x\"\";\"\"y\"\")\"");
    cell_is("+1", "\"'+1\"");
    cell_is("-1+2", "\"'-1+2\"");
    cell_is("-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\"");
    cell_is("@SUM(A1:A9)", "\"'@SUM(A1:A9)\"");
    cell_is("\t=1", "\"'\t=1\"");
    cell_is("\r=1", "\"'\r=1\"");
    cell_is("\n=1", "\"'\n=1\"");
    cell_is("  =1+1", "\"'  =1+1\"");
    cell_is("-", "\"'-\"");
    cell_is("-inf", "\"'-inf\"");
    cell_is("--5", "\"'--5\"");
    cell_is("-0.5x", "\"'-0.5x\"");
    /* a value that begins with the guard itself gets one more */
    cell_is("'quoted", "\"''quoted\"");
    cell_is("'", "\"''\"");
    /* plain numbers stay numbers */
    cell_is("-0.5", "-0.5");
    cell_is("-12", "-12");
    cell_is("-1.5e-07", "-1.5e-07");
    cell_is("-3E+10", "-3E+10");
    cell_is("42", "42");
    cell_is("0.25", "0.25");
    /* '=' elsewhere than first is harmless */
    cell_is("a=b", "a=b");
    cell_is("x-1", "x-1");
}

static void test_plain_number(void)
{
    const char *yes[] = {"0", "-0", "12", "-12", "-0.5", "1e5", "-1.5e-07", "2E+3"};
    const char *no[] = {"", "-", ".5", "-.5", "1.", "1e", "1e+", "+1", "1,5", "0x10", " 1",
                        "1 ", "nan", "-inf", "1-1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECKF(qr_csv_plain_number(yes[i]), "'%s' is a plain number", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECKF(!qr_csv_plain_number(no[i]), "'%s' is not a plain number", no[i]);
}

/* A reader's view: unquote one RFC 4180 cell, then drop one leading '. */
static char *read_back(const char *cell)
{
    size_t n = strlen(cell);
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    if (cell[0] == '"') {
        for (const char *p = cell + 1; p < cell + n - 1; p++) {
            *o++ = *p;
            if (*p == '"')
                p++; /* "" -> " */
        }
    } else {
        memcpy(o, cell, n);
        o += n;
    }
    *o = '\0';
    if (out[0] == '\'')
        memmove(out, out + 1, strlen(out));
    return out;
}

static void test_round_trip(void)
{
    const char *vals[] = {"plain", "=1+2", "'=1+2", "''", "'", "-0.5", "-x", "@a,\"b\"",
                          "\t\r\n", " +", "+", "a'b", "'a", "=\"\"", ""};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char *cell = cell_text(vals[i]);
        char *back = cell ? read_back(cell) : NULL;
        CHECKF(back && strcmp(back, vals[i]) == 0, "round trip of [%s]: cell [%s], back [%s]",
               vals[i], cell ? cell : "", back ? back : "");
        /* and what a spreadsheet sees first is never a formula character */
        if (cell) {
            const char *p = cell + (cell[0] == '"');
            CHECKF(!strchr("=+@\t\r\n", *p) || !*p, "cell [%s] starts a formula", cell);
            CHECKF(*p != '-' || qr_csv_plain_number(vals[i]), "cell [%s] starts with -", cell);
        }
        free(cell);
        free(back);
    }
}

int main(void)
{
    test_cells();
    test_plain_number();
    test_round_trip();
    return qr_test_end();
}
