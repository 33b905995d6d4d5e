/*
 * Profiles as text (stages/profile.c): every field of qr_profile has a row
 * (checked against the struct as declared in qr_stages.h, so a new field
 * without a row fails here), every row round-trips through print and load,
 * errors name the file, the line and the key, and booleans take the usual
 * spellings.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr_stages.h"
#include "qr_test.h"

/* One printed entry: "[section]" then "# help (lo to hi)" and "key = value". */
typedef struct entry {
    char section[64], key[64], value[64];
    bool is_bool;
    double lo, hi;
} entry;

static char *print_profile(const qr_profile *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    qr_profile_print(p, f);
    fclose(f);
    return text;
}

static size_t parse_printed(const char *text, entry *out, size_t max)
{
    char section[64] = "";
    bool is_bool = false;
    double lo = 0, hi = 0;
    size_t n = 0;
    for (const char *s = text; *s && n < max;) {
        size_t len = strcspn(s, "\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, s);
        s += len + (s[len] == '\n');
        char k[64], v[64];
        if (sscanf(line, "[%63[^]]]", section) == 1)
            continue;
        if (line[0] == '#') {
            is_bool = strstr(line, "(true or false)") != NULL;
            const char *r = strrchr(line, '(');
            if (!is_bool && (!r || sscanf(r, "(%lf to %lf)", &lo, &hi) != 2))
                CHECKF(false, "help line without a range: %s", line);
            continue;
        }
        if (sscanf(line, "%63s = %63s", k, v) == 2) {
            entry *e = &out[n++];
            snprintf(e->section, sizeof e->section, "%s", section);
            snprintf(e->key, sizeof e->key, "%s", k);
            snprintf(e->value, sizeof e->value, "%s", v);
            e->is_bool = is_bool;
            e->lo = lo;
            e->hi = hi;
        }
    }
    return n;
}

/* Field names of struct qr_profile as declared in qr_stages.h. */
static size_t header_fields(char names[][64], size_t max)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/stages/qr_stages.h", qr_test_env("QUIRE_SRC"));
    size_t len;
    char *h = (char *)qr_test_read(path, &len);
    char *begin = strstr(h, "typedef struct qr_profile {");
    char *end = begin ? strstr(begin, "} qr_profile;") : NULL;
    CHECK(begin && end);
    if (!begin || !end) {
        free(h);
        return 0;
    }
    *end = '\0';
    begin = strchr(begin, '{') + 1;
    for (char *c = strstr(begin, "/*"); c; c = strstr(c, "/*")) { /* blank out comments */
        char *e = strstr(c, "*/");
        memset(c, ' ', (size_t)((e ? e + 2 : c + strlen(c)) - c));
    }
    size_t n = 0;
    for (char *decl = strtok(begin, ";"); decl && n < max; decl = strtok(NULL, ";")) {
        char type[32];
        int used = 0;
        if (sscanf(decl, " %31s %n", type, &used) != 1)
            continue;
        for (char *c = decl + used; c && n < max; c = strchr(c, ',')) {
            c += *c == ',';
            if (sscanf(c, " %63[A-Za-z0-9_]", names[n]) == 1)
                n++;
        }
    }
    free(h);
    return n;
}

static void test_every_field_has_a_row(void)
{
    qr_profile p;
    qr_profile_default(&p);
    char *text = print_profile(&p);
    entry e[256];
    size_t n = parse_printed(text, e, 256);
    char names[256][64];
    size_t nf = header_fields(names, 256);
    CHECKF(nf >= 16, "found %zu fields of qr_profile in qr_stages.h", nf);
    CHECK_EQ_INT(n, nf);
    for (size_t i = 0; i < nf; i++) {
        bool found = false;
        for (size_t k = 0; k < n; k++)
            found |= !strcmp(e[k].key, names[i]);
        CHECKF(found, "qr_profile.%s has no row in stages/profile.c", names[i]);
    }
    free(text);
}

/* A value inside the range that differs from the current one. */
static void other_value(const entry *e, bool integer, char *out, size_t n)
{
    if (e->is_bool) {
        snprintf(out, n, "%s", strcmp(e->value, "true") ? "true" : "false");
        return;
    }
    double cur = strtod(e->value, NULL);
    for (double frac = 0.37;; frac += 0.13) {
        double v = e->lo + (e->hi - e->lo) * (frac > 1 ? frac - 1 : frac);
        if (integer)
            v = floor(v);
        if (v != cur) {
            snprintf(out, n, "%.17g", v);
            return;
        }
    }
}

static bool set_other(qr_profile *p, const entry *e)
{
    char v[64];
    other_value(e, false, v, sizeof v);
    if (qr_profile_set(p, e->section, e->key, v, NULL) == QR_OK)
        return true;
    other_value(e, true, v, sizeof v); /* an int field */
    return qr_profile_set(p, e->section, e->key, v, NULL) == QR_OK;
}

static bool round_trips(const qr_profile *p, const char *path)
{
    FILE *f = fopen(path, "w");
    qr_profile_print(p, f);
    fclose(f);
    qr_profile back;
    qr_profile_default(&back);
    qr_err err = {0};
    int rc = qr_profile_load(&back, path, &err);
    CHECKF(rc == QR_OK, "load of printed profile: %s", err.msg);
    return rc == QR_OK && memcmp(&back, p, sizeof back) == 0;
}

static void test_round_trip(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/rt.ini", dir);
    qr_profile def, all;
    qr_profile_default(&def);
    qr_profile_default(&all);
    CHECK(round_trips(&def, path));
    char *text = print_profile(&def);
    entry e[256];
    size_t n = parse_printed(text, e, 256);
    for (size_t i = 0; i < n; i++) {
        qr_profile one = def;
        CHECKF(set_other(&one, &e[i]), "%s.%s accepts a value in its range", e[i].section,
               e[i].key);
        CHECKF(memcmp(&one, &def, sizeof one) != 0, "%s.%s changes the profile", e[i].section,
               e[i].key);
        CHECKF(round_trips(&one, path), "%s.%s round-trips", e[i].section, e[i].key);
        set_other(&all, &e[i]);
    }
    CHECK(round_trips(&all, path));
    free(text);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Load must fail with a message containing every `want` (NULL-terminated)
 * and leave the profile as it was. */
static void load_fails(const char *dir, const char *text, const char *const *want)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.ini", dir);
    write_file(path, text);
    qr_profile p, before;
    qr_profile_default(&p);
    before = p;
    qr_err err = {0};
    CHECK_EQ_INT(qr_profile_load(&p, path, &err), QR_EINVAL);
    CHECKF(strstr(err.msg, path) != NULL, "message names the file: %s", err.msg);
    for (; *want; want++)
        CHECKF(strstr(err.msg, *want) != NULL, "'%s' in: %s", *want, err.msg);
    CHECK(memcmp(&p, &before, sizeof p) == 0);
}

static void test_errors(const char *dir)
{
    load_fails(dir, "[skew]\nmax_skew_deg = 12\n; comment\nnope = 1\n",
               (const char *const[]){":4:", "skew.nope", "unknown", NULL});
    load_fails(dir, "[nowhere]\nmin_dpi = 300\n",
               (const char *const[]){":2:", "nowhere.min_dpi", NULL});
    load_fails(dir, "# x\n[resolution]\nmin_dpi = lots\n",
               (const char *const[]){":3:", "resolution.min_dpi", "lots", "not a number", NULL});
    load_fails(dir, "[duplicate]\ndup_max_hash_distance = 2.5\n",
               (const char *const[]){":2:", "duplicate.dup_max_hash_distance", "integer", NULL});
    load_fails(dir, "[skew]\n\nmax_skew_deg = 90\n",
               (const char *const[]){":3:", "skew.max_skew_deg", "out of range", "0 to 45", NULL});
    load_fails(dir, "[blank]\nallow_blank_backs = maybe\n",
               (const char *const[]){":2:", "blank.allow_blank_backs", "maybe", NULL});
    load_fails(dir, "[skew]\nmax_skew_deg 12\n",
               (const char *const[]){":2:", "key = value", NULL});
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/absent.ini", dir);
    qr_profile p;
    qr_profile_default(&p);
    qr_err err = {0};
    CHECK_EQ_INT(qr_profile_load(&p, missing, &err), QR_EINVAL);
    CHECKF(strstr(err.msg, "absent.ini") != NULL, "%s", err.msg);
    CHECK_EQ_INT(qr_profile_set(&p, "skew", "max_skew_deg", "-1", &err), QR_EINVAL);
    CHECKF(strstr(err.msg, "skew.max_skew_deg") != NULL, "%s", err.msg);
}

static void test_bools(void)
{
    static const char *const spell[][2] = {{"true", "1"}, {"false", "0"}, {"yes", "1"},
        {"no", "0"}, {"1", "1"}, {"0", "0"}, {"TRUE", "1"}, {"No", "0"}};
    for (size_t i = 0; i < sizeof spell / sizeof spell[0]; i++) {
        qr_profile p;
        qr_profile_default(&p);
        p.allow_blank_backs = spell[i][1][0] == '0';
        qr_err err = {0};
        CHECKF(qr_profile_set(&p, "blank", "allow_blank_backs", spell[i][0], &err) == QR_OK,
               "%s: %s", spell[i][0], err.msg);
        CHECKF(p.allow_blank_backs == (spell[i][1][0] == '1'), "%s", spell[i][0]);
    }
    qr_profile p;
    qr_profile_default(&p);
    CHECK(!p.allow_blank_backs);
    CHECK_EQ_INT(qr_profile_set(&p, "orientation", "detect_orientation", "2", NULL), QR_EINVAL);
}

static void test_load_overrides(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/ok.ini", dir);
    write_file(path, "; site profile\n[resolution]\nmin_dpi = 200 ; lower for microfiche\n"
                     "[blank]\nallow_blank_backs = yes\n");
    qr_profile p;
    qr_profile_default(&p);
    qr_err err = {0};
    CHECKF(qr_profile_load(&p, path, &err) == QR_OK, "%s", err.msg);
    CHECK(p.min_dpi == 200.0);
    CHECK(p.allow_blank_backs);
    CHECK(p.max_skew_deg == 10.0); /* untouched fields keep their values */
}

int main(void)
{
    char dir[4096];
    qr_test_tmpdir("stages_profile", dir, sizeof dir);
    test_every_field_has_a_row();
    test_round_trip(dir);
    test_errors(dir);
    test_bools();
    test_load_overrides(dir);
    return qr_test_end();
}
