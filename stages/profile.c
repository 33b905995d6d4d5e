/*
 * Profiles as text: `[section] key = value` for every field of qr_profile,
 * read from INI files (inih) and from --set flags, printed back as INI.
 *
 * Why one table: a threshold that exists in the struct but cannot be set,
 * printed or checked is a threshold nobody can review. Every field therefore
 * has exactly one row below, and the row alone decides its section, its key
 * (the field's own name, so code, docs and profiles share one vocabulary),
 * its type (derived from the field by _Generic, so a row cannot lie about
 * it), its accepted range and its one-line help. Setting, loading and
 * printing are loops over the table; adding a field means adding a row.
 * The unit test reads qr_stages.h and fails when a field has no row.
 *
 * Line numbers: the Debian build of inih does not pass line numbers to the
 * handler, so the file is fed through our own line reader, which counts
 * lines and sees over-long ones (inih would silently split them) and NUL
 * bytes (which would silently cut a value short).
 *
 * Threads: pure functions over the caller's struct; no globals are written.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qr_stages.h"

typedef enum pf_type { PF_DOUBLE, PF_INT, PF_BOOL } pf_type;

typedef struct pf_row {
    const char *section;
    const char *key;     /* the field's name */
    pf_type type;
    size_t offset;       /* offsetof(qr_profile, field) */
    double min, max;     /* accepted range, inclusive (ignored for bool) */
    const char *help;    /* one line, printed as a comment */
} pf_row;

#define PF_TYPE(field) \
    _Generic(((qr_profile *)0)->field, double: PF_DOUBLE, int: PF_INT, bool: PF_BOOL)
#define PF_ROW(section, field, min, max, help) \
    {section, #field, PF_TYPE(field), offsetof(qr_profile, field), min, max, help}

/*
 * EVERY FIELD OF qr_profile NEEDS A ROW HERE (tests/unit/test_stages_profile.c
 * checks it against qr_stages.h). Rows of one section may be anywhere: print
 * groups them by section, in the order sections first appear.
 */
static const pf_row ROWS[] = {
    PF_ROW("resolution", min_dpi, 1, 10000, "pages below this resolution are low_dpi, in dpi"),
    PF_ROW("resolution", analysis_dpi, 50, 600, "working resolution of the reduced image, in dpi"),
    PF_ROW("skew", deskew_threshold_deg, 0, 10, "deskew when |skew| is at least this, in degrees"),
    PF_ROW("skew", max_skew_deg, 0, 45, "largest skew that may be corrected; beyond is a skew fault, in degrees"),
    PF_ROW("skew", skew_search_deg, 1, 45, "sweep this far each side of 0; above max_skew_deg, in degrees"),
    PF_ROW("skew", skew_min_conf, 0, 1000, "Leptonica max/min score ratio needed to trust an angle"),
    PF_ROW("skew", skew_large_min_conf, 0, 1000, "... needed to trust an angle beyond max_skew_deg (a skew fault)"),
    PF_ROW("orientation", detect_orientation, 0, 1, "detect pages turned by 90/180/270 degrees"),
    PF_ROW("orientation", orient_min_conf, 0, 1000, "|confidence| needed to accept a direction"),
    PF_ROW("orientation", orient_min_ratio, 1, 1000, "best / other-axis |confidence| needed"),
    PF_ROW("orientation", orient_min_ink, 0, 1, "skip detection below this ink fraction"),
    PF_ROW("blank", blank_margin, 0, 0.45, "band ignored on each side, as a fraction of the page size"),
    PF_ROW("blank", blank_ink_max, 0, 1, "centre ink fraction at or below this is blank"),
    PF_ROW("blank", allow_blank_backs, 0, 1, "duplex: blank even pages (back sides) raise no fault"),
    PF_ROW("exposure", ink_min_delta, 1, 255, "ink is at least this much darker than paper, in gray levels"),
    PF_ROW("duplicate", dup_min_similarity, 0, 1, "similarity at or above this is a sheet fed twice"),
    PF_ROW("duplicate", dup_max_hash_distance, 0, 63, "perceptual hashes further apart are never duplicates, in bits"),
    PF_ROW("duplicate", dup_max_paper_delta, 0, 255, "gray/colour: paper levels of a sheet fed twice differ by at most this"),
    PF_ROW("duplicate", dup_max_tone_delta, 0, 255, "gray/colour: mean levels differ by at most this"),
    PF_ROW("duplicate", dup_max_ink_change, 0, 10, "gray/colour: ink fractions differ by at most this share"),
    PF_ROW("duplicate", dup_max_scale_change, 0, 1, "gray/colour: content widths differ by at most this share"),
    PF_ROW("duplicate", dup_max_shift_mm, 0, 100, "a sheet fed twice puts its ink within this many mm of the same place"),
    PF_ROW("duplicate", dup_max_fit_scale, 0, 0.1, "a sheet fed twice matches at a scale this close to 1 (a reprint or copy differs)"),
    PF_ROW("duplicate", dup_max_skew_delta, 0, 90, "a sheet fed twice lies this close to its first angle, in degrees"),
    PF_ROW("streaks", streak_min_length, 0.1, 1, "a dark vertical line this share of the height long is a streak"),
    PF_ROW("streaks", streak_min_contrast, 1, 510, "darkness over both neighbours that counts, in gray levels"),
    PF_ROW("cropped", crop_min_margin_mm, 0, 50, "content closer than this to an edge is cut, in mm"),
    PF_ROW("cropped", crop_min_extent, 0, 1, "... along at least this share of that edge"),
    PF_ROW("cropped", crop_min_opposite_mm, 0, 500, "... and the opposite margin at least this wide (or a short scan, bottom edge), in mm"),
    PF_ROW("cropped", crop_min_backing_mm, 0, 500, "black backing this deep along one edge, none along the opposite one: the sheet ran off the frame, in mm"),
    PF_ROW("cropped", crop_foot_margin_mm, 0, 50, "content closer than this to the foot of the page (deskewed) ..., in mm"),
    PF_ROW("cropped", crop_min_head_mm, 0, 500, "... under at least this much empty head: the sheet sat low in the frame, in mm"),
    PF_ROW("exposure", dark_paper_min, 0, 255, "gray/colour: paper level below this is too_dark, in gray levels"),
    PF_ROW("exposure", light_ink_max, 0, 255, "gray/colour: darkest ink above this is too_light, in gray levels"),
    PF_ROW("exposure", dark_ink_max, 0, 1, "bitonal: black share of the page above this is too_dark"),
    PF_ROW("exposure", dark_margin_min, 0, 1, "bitonal: too_dark also needs at least this ink share in the margins"),
    PF_ROW("exposure", light_blob_min, 0, 100000, "bitonal: ink pixels per connected mark below this is too_light, at the working resolution"),
    PF_ROW("exposure", light_stroke_min, 0, 100, "1 bpp: hairline strokes (narrow for their letters too) under this width are too_light, in px at 300 dpi"),
    PF_ROW("exposure", light_stroke_ratio, 0, 1, "1 bpp: stroke width under this share of the letter height is too_light"),
    PF_ROW("orientation", orient_fault_conf, 0, 1000, "not turned, best direction not upright with |confidence| at least this: orientation fault"),
};

#define N_ROWS (sizeof ROWS / sizeof ROWS[0])

static const pf_row *find_row(const char *section, const char *key)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (!strcmp(ROWS[i].section, section) && !strcmp(ROWS[i].key, key))
            return &ROWS[i];
    return NULL;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = true, true;
        if (!strcasecmp(s, no[i]))
            return *out = false, true;
    }
    return false;
}

static bool parse_number(const char *s, pf_type type, double *out)
{
    char *end;
    errno = 0;
    double v = type == PF_INT ? (double)strtol(s, &end, 10) : strtod(s, &end);
    while (isspace((unsigned char)*end))
        end++;
    if (end == s || *end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static int set_row(qr_profile *p, const pf_row *r, const char *value, qr_err *err)
{
    char *field = (char *)p + r->offset;
    if (r->type == PF_BOOL) {
        bool b;
        if (!parse_bool(value, &b))
            return qr_err_set(err, QR_EINVAL, "%s.%s: '%s' is not a boolean "
                              "(true/false, yes/no, 1/0)", r->section, r->key, value);
        memcpy(field, &b, sizeof b);
        return QR_OK;
    }
    double v;
    if (!parse_number(value, r->type, &v))
        return qr_err_set(err, QR_EINVAL, "%s.%s: '%s' is not %s", r->section, r->key, value,
                          r->type == PF_INT ? "an integer" : "a number");
    if (v < r->min || v > r->max) {
        char lo[40], hi[40];
        qr_fmt_double(r->min, lo);
        qr_fmt_double(r->max, hi);
        return qr_err_set(err, QR_EINVAL, "%s.%s: %s is out of range (%s to %s)", r->section,
                          r->key, value, lo, hi);
    }
    if (r->type == PF_INT) {
        int i = (int)v;
        memcpy(field, &i, sizeof i);
    } else {
        memcpy(field, &v, sizeof v);
    }
    return QR_OK;
}

int qr_profile_set(qr_profile *p, const char *section, const char *key, const char *value,
                   qr_err *err)
{
    const pf_row *r = find_row(section, key);
    if (!r)
        return qr_err_set(err, QR_EINVAL, "unknown profile key %s.%s (see quire profile show)",
                          section, key);
    return set_row(p, r, value, err);
}

/* ---- loading ------------------------------------------------------------- */

typedef struct pf_load {
    qr_profile *p;
    const char *path;
    FILE *f;
    int line;          /* lines read so far = the line being parsed */
    int long_line;     /* first line longer than inih's buffer; 0 = none */
    int nul_line;      /* first line holding a NUL byte (it would cut the value); 0 = none */
    qr_err first;      /* first value error, already prefixed with path:line */
    int first_line;    /* its line; 0 = none */
    char *buf;         /* getline's buffer */
    size_t cap;
} pf_load;

/* inih's line reader: fgets semantics, one whole line per call. */
static char *read_line(char *str, int num, void *stream)
{
    pf_load *ld = stream;
    ssize_t n = getline(&ld->buf, &ld->cap, ld->f);
    if (n < 0)
        return NULL;
    ld->line++;
    if (n >= num && !ld->long_line)
        ld->long_line = ld->line;
    if (memchr(ld->buf, '\0', (size_t)n) && !ld->nul_line)
        ld->nul_line = ld->line;
    size_t keep = (size_t)n < (size_t)num - 1 ? (size_t)n : (size_t)num - 1;
    memcpy(str, ld->buf, keep);
    str[keep] = '\0';
    return str;
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    pf_load *ld = user;
    qr_err e = {0};
    if (qr_profile_set(ld->p, section, key, value, &e) == QR_OK)
        return 1;
    if (!ld->first_line) {
        ld->first_line = ld->line;
        qr_err_set(&ld->first, QR_EINVAL, "%s:%d: %s", ld->path, ld->line, e.msg);
    }
    return 0;
}

int qr_profile_load(qr_profile *p, const char *path, qr_err *err)
{
    pf_load ld = {.p = p, .path = path, .f = fopen(path, "r")};
    if (!ld.f)
        return qr_err_set(err, QR_EINVAL, "%s: %s", path, strerror(errno));
    qr_profile work = *p; /* all or nothing: *p changes only when the file is clean */
    ld.p = &work;
    int bad = ini_parse_stream(read_line, &ld, on_value, &ld);
    int read_error = ferror(ld.f) ? errno : 0; /* EISDIR for a directory */
    fclose(ld.f);
    free(ld.buf);
    if (read_error)
        return qr_err_set(err, QR_EINVAL, "%s: read error: %s", path, strerror(read_error));
    if (ld.nul_line)
        return qr_err_set(err, QR_EINVAL, "%s:%d: the line contains a NUL byte; a profile is "
                          "text", path, ld.nul_line);
    if (ld.long_line)
        return qr_err_set(err, QR_EINVAL, "%s:%d: line too long", path, ld.long_line);
    if (bad && bad != ld.first_line) /* a syntax error came first */
        return qr_err_set(err, QR_EINVAL, "%s:%d: expected [section] or key = value", path,
                          bad);
    if (ld.first_line) {
        if (err)
            *err = ld.first;
        return QR_EINVAL;
    }
    *p = work;
    return QR_OK;
}

/* ---- printing ------------------------------------------------------------ */

static void print_row(const qr_profile *p, const pf_row *r, FILE *out)
{
    const char *field = (const char *)p + r->offset;
    char lo[40], hi[40], v[40];
    if (r->type == PF_BOOL) {
        bool b;
        memcpy(&b, field, sizeof b);
        fprintf(out, "# %s (true or false)\n%s = %s\n", r->help, r->key, b ? "true" : "false");
        return;
    }
    qr_fmt_double(r->min, lo);
    qr_fmt_double(r->max, hi);
    if (r->type == PF_INT) {
        int i;
        memcpy(&i, field, sizeof i);
        snprintf(v, sizeof v, "%d", i);
    } else {
        double d;
        memcpy(&d, field, sizeof d);
        qr_fmt_double(d, v);
    }
    fprintf(out, "# %s (%s to %s)\n%s = %s\n", r->help, lo, hi, r->key, v);
}

static bool section_seen_before(size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (!strcmp(ROWS[k].section, ROWS[i].section))
            return true;
    return false;
}

void qr_profile_print(const qr_profile *p, FILE *out)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        if (section_seen_before(i))
            continue;
        fprintf(out, "%s[%s]\n", i ? "\n" : "", ROWS[i].section);
        for (size_t k = i; k < N_ROWS; k++)
            if (!strcmp(ROWS[k].section, ROWS[i].section))
                print_row(p, &ROWS[k], out);
    }
}
