/*
 * Profiles as text: `[section] key = value` for every field of qr_profile,
 * read from INI files (inih) and from --set flags, printed back as INI.
 *
 * Why one table: a threshold that exists in the struct but cannot be set,
 * printed or checked is a threshold nobody can review. Every field therefore
 * has exactly one row below, and the row alone decides its section, its key
 * (the field's own name, so code, docs and profiles share one vocabulary),
 * its type (derived from the field by _Generic, so a row cannot lie about
 * it), its built-in default (with the measurements that chose it), its
 * accepted range and its one-line help. Defaults, setting, loading and
 * printing are loops over the table; adding a field means adding a row.
 * No rule of the verdict (verdict.c) keeps a number of its own.
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
    double def;          /* the built-in default (qr_profile_default) */
    double min, max;     /* accepted range, inclusive (ignored for bool) */
    const char *help;    /* one line, printed as a comment */
} pf_row;

#define PF_TYPE(field) \
    _Generic(((qr_profile *)0)->field, double: PF_DOUBLE, int: PF_INT, bool: PF_BOOL)
#define PF_ROW(section, field, def, min, max, help) \
    {section, #field, PF_TYPE(field), offsetof(qr_profile, field), def, min, max, help}

/*
 * EVERY FIELD OF qr_profile NEEDS A ROW HERE (tests/unit/test_stages_profile.c
 * checks it against qr_stages.h). Rows of one section may be anywhere: print
 * groups them by section, in the order sections first appear.
 */
static const pf_row ROWS[] = {
    PF_ROW("resolution", min_dpi, 300.0, 1, 10000, "pages below this resolution are low_dpi, in dpi"),
    PF_ROW("resolution", analysis_dpi, 150.0, 50, 600, "working resolution of the reduced image, in dpi"),
    PF_ROW("skew", deskew_threshold_deg, 0.1, 0, 10, "deskew when |skew| is at least this, in degrees"),
    PF_ROW("skew", max_skew_deg, 10.0, 0, 45, "largest skew that may be corrected; beyond is a skew fault, in degrees"),
    PF_ROW("skew", skew_search_deg, 30.0, 1, 45, "sweep this far each side of 0; above max_skew_deg, in degrees"),
    /* Sparse pages (a score of music, seed 11) score 2.1-2.2 and their
     * angles are right to 0.11 deg; a fault needs more certainty. */
    PF_ROW("skew", skew_min_conf, 1.8, 0, 1000, "Leptonica max/min score ratio needed to trust an angle"),
    /* Beyond +-10 deg no false peak reached 0.5 on seeds 11 and 12 (12,458
     * pages: every page measured there with conf >= 0.5 was a truth heavy
     * skew, 101 of 103), while photographs and old book pages skewed 10-25
     * deg score only 1.52-2.72 (at 3.0, 10 of them went unflagged). */
    PF_ROW("skew", skew_large_min_conf, 1.3, 0, 1000, "... needed to trust an angle beyond max_skew_deg (a skew fault)"),
    PF_ROW("orientation", detect_orientation, true, 0, 1, "detect pages turned by 90/180/270 degrees"),
    PF_ROW("orientation", orient_min_conf, 8.0, 0, 1000, "|confidence| needed to accept a direction"),
    PF_ROW("orientation", orient_min_ratio, 2.5, 1, 1000, "best / other-axis |confidence| needed"),
    PF_ROW("orientation", orient_min_ink, 0.002, 0, 1, "skip detection below this ink fraction"),
    PF_ROW("blank", blank_margin, 0.1, 0, 0.45, "band ignored on each side, as a fraction of the page size"),
    PF_ROW("blank", blank_ink_max, 0.0008, 0, 1, "centre ink fraction at or below this is blank"),
    PF_ROW("blank", allow_blank_backs, false, 0, 1, "duplex: blank even pages (back sides) raise no fault"),
    PF_ROW("exposure", ink_min_delta, 40, 1, 255, "ink is at least this much darker than paper, in gray levels"),
    /* Different sheets of one form template reach 0.68 (generated case-file
     * pages); the weakest true duplicate on corpus seeds 11/12 is 0.74. */
    PF_ROW("duplicate", dup_min_similarity, 0.72, 0, 1, "similarity at or above this is a sheet fed twice"),
    PF_ROW("duplicate", dup_max_hash_distance, 24, 0, 63, "perceptual hashes further apart are never duplicates, in bits"),
    /* Seed 11, gray/colour: 15 true duplicates kept paper level (delta 0),
     * tone (<= 1.2), ink (<= 4.4 %) and content width (<= 0.6 %); of 342
     * consecutive prints of the same source page, 16 stayed within all four
     * (requiring equal paper levels cut them to 13 but lost 3 true duplicates
     * on seeds 11 and 12). Seeds 11-14 later showed true duplicates with ink
     * 5.7 % and content widths 0.9-2.2 % apart (the width comes from margins
     * corrected for skew, so it is rough); the fit's scale (dup_max_fit_scale)
     * checks the scale more finely, and the skew test below took over most
     * of the width test's work. */
    PF_ROW("duplicate", dup_max_paper_delta, 1, 0, 255, "gray/colour: paper levels of a sheet fed twice differ by at most this"),
    PF_ROW("duplicate", dup_max_tone_delta, 1.5, 0, 255, "gray/colour: mean levels differ by at most this"),
    PF_ROW("duplicate", dup_max_ink_change, 0.06, 0, 10, "gray/colour: ink fractions differ by at most this share"),
    PF_ROW("duplicate", dup_max_scale_change, 0.02, 0, 1, "gray/colour: content widths differ by at most this share"),
    /* A sheet fed twice lands where it did before, give or take the feed
     * (document feeders hold it to about 2 mm), and the scanner's scale does
     * not change; another print of the same page is placed and scaled by its
     * printer. Seed 11: the ink of the 48 true duplicates moved at most
     * 1.67 mm and matched at scale 1 (+-0.004, the search step); of 33
     * different sheets with the same content that the comparison took for
     * duplicates, 5 stayed within 3 mm and 0.006 (13 within the scale alone).
     * Seeds 11-14 later: 214 true duplicates moved at most 1.92 mm; a print
     * of the same page that passed every other test had moved 2.44 mm. */
    PF_ROW("duplicate", dup_max_shift_mm, 2.2, 0, 100, "a sheet fed twice puts its ink within this many mm of the same place"),
    PF_ROW("duplicate", dup_max_fit_scale, 0.006, 0, 0.1, "a sheet fed twice matches at a scale this close to 1 (a reprint or copy differs)"),
    /* Seeds 11-14: the two scans of 214 true duplicates (both skews found)
     * lay at most 0.79 deg apart; 10 of the 13 different prints of the same
     * page that passed every other test lay 1.23-4.21 deg apart. A feeder
     * guides a sheet; another print was fed on its own. */
    PF_ROW("duplicate", dup_max_skew_delta, 1.2, 0, 90, "a sheet fed twice lies this close to its first angle, in degrees"),
    /* Dirt on the glass runs the whole height, margins included; over dense
     * text bands may miss (a 48-level line over Hebrew text hit 16 of 24). */
    /* seed 11: no clean page reaching both margins got 0.5 */
    PF_ROW("streaks", streak_min_length, 0.6, 0.1, 1, "a dark vertical line this share of the height long is a streak"),
    PF_ROW("streaks", streak_min_contrast, 24, 1, 510, "darkness over both neighbours that counts, in gray levels"),
    /* Seed 11: clean pages come within 2 mm of an edge when their content
     * fills the sheet, but then the opposite margin is narrow too (at most
     * 22 mm); a sheet fed off-centre leaves 30 mm or more. */
    /* seeds 11/12: clean pages reached 1.35 mm */
    PF_ROW("cropped", crop_min_margin_mm, 1.25, 0, 50, "content closer than this to an edge is cut, in mm"),
    PF_ROW("cropped", crop_min_extent, 0.0, 0, 1, "... along at least this share of that edge"),
    PF_ROW("cropped", crop_min_opposite_mm, 30.0, 0, 500, "... and the opposite margin at least this wide (or a short scan, bottom edge), in mm"),
    /* Seeds 11-14, the 3,726 pages of files scanned on black backing: the
     * backing along an edge (median depth over its middle 60 %) was at most
     * 3.0 mm deep on every page not cut; 19 sheets fed off the frame showed
     * 40-136 mm on the side away from the cut and none on the cut side. */
    PF_ROW("cropped", crop_min_backing_mm, 15.0, 0, 500, "black backing this deep along one edge, none along the opposite one: the sheet ran off the frame, in mm"),
    /* Seeds 11-14 (23,886 pages with content), margins deskewed and read in
     * the page's reading direction, too-dark pages aside: pages not cut
     * came within 4 mm of their foot only under a head of 22.8 mm or less;
     * three sheets that sat low, cut between two lines, showed 1.4-3.2 mm
     * under 51-131 mm of head. A foot of 6 mm would have taken two
     * upside-down photographs whose turn was not found, and a head of 30 mm
     * three pages skewed 10-25 deg (hence crop_foot_max_skew_deg). */
    PF_ROW("cropped", crop_foot_margin_mm, 4.0, 0, 50, "content closer than this to the foot of the page (deskewed) ..., in mm"),
    PF_ROW("cropped", crop_min_head_mm, 40.0, 0, 500, "... under at least this much empty head: the sheet sat low in the frame, in mm"),
    /* Seed 11 (6,100 pages): clean gray/colour paper >= 226, under-exposed
     * <= 139; clean darkest ink <= 109, faded >= 185; clean bitonal pages
     * <= 32 % black, under-exposed >= 35.7 %; clean bitonal components
     * >= 22.9 px on average, faded ones break into dots (1-15 px; milder
     * fades are not told from a light original). */
    PF_ROW("exposure", dark_paper_min, 180, 0, 255, "gray/colour: paper level below this is too_dark, in gray levels"),
    PF_ROW("exposure", light_ink_max, 150, 0, 255, "gray/colour: darkest ink above this is too_light, in gray levels"),
    PF_ROW("exposure", dark_ink_max, 0.34, 0, 1, "bitonal: black share of the page above this is too_dark"),
    /* under-exposed >= 0.23; lept_rabi (photo) 0.15 */
    PF_ROW("exposure", dark_margin_min, 0.2, 0, 1, "bitonal: too_dark also needs at least this ink share in the margins"),
    PF_ROW("exposure", light_blob_min, 15, 0, 100000, "bitonal: ink pixels per connected mark below this is too_light, at the working resolution"),
    /* Seeds 11 and 12, 8,910 clean bitonal pages: strokes 2.12 px or more at
     * 300 dpi (a passport form), 0.120 of the letter height or more; see
     * verdict.c. */
    PF_ROW("exposure", light_stroke_min, 2.2, 0, 100, "1 bpp: hairline strokes (narrow for their letters too) under this width are too_light, in px at 300 dpi"),
    PF_ROW("exposure", light_stroke_ratio, 0.10, 0, 1, "1 bpp: stroke width under this share of the letter height is too_light"),
    /* Upright pages of some scripts reach 9.7 towards a wrong direction
     * (lept_boismort on seed 11); only a stronger hint is worth a fault.
     * Seeds 11-15 (30,683 pages): hints from 10 to 13 were right twice (two
     * pages turned 180 deg, at 10.9 and 12.6) and wrong three times (upright
     * music and Hebrew pages at 10.7, 11.9 and 12.9). Raising the limit to 13
     * would trade two pages archived upside down without a word for three
     * false alarms, so it stays. */
    /* Backing is told from a dark page's speckle by its share of the frame
     * and its mark size (see verdict.c, sheet_ink). */
    PF_ROW("exposure", backing_min, 0.05, 0, 1, "bitonal: black backing over at least this share of the frame is not the sheet's ink"),
    PF_ROW("exposure", backing_max, 0.90, 0, 1, "... and over at most this share (more is the page's own speckle, meshed into one)"),
    PF_ROW("exposure", backing_min_blob, 40, 0, 100000, "... and only on pages whose marks average at least this many px at the working resolution"),
    PF_ROW("exposure", speckle_ink_min, 0.12, 0, 1, "bitonal: marks under light_blob_min covering at least this share of the sheet are speckle: too_dark"),
    PF_ROW("exposure", light_hairline_ratio, 0.13, 0, 1, "1 bpp: hairlines under light_stroke_min must also be under this share of the letter height"),
    PF_ROW("exposure", stroke_max_skew_deg, 5.0, 0, 45, "1 bpp: strokes are judged against their letters only when skewed at most this, in degrees"),
    PF_ROW("exposure", vanished_dot_max, QR_VANISHED_DOT_MAX, 0, 100, "bitonal: a page that looks empty with under this many ink px per mark inside the margins is faded print: too_light"),
    PF_ROW("cropped", crop_off_frame_mm, 1.0, 0, 50, "a sheet runs into an edge with less backing than this along it (see crop_min_backing_mm), in mm"),
    PF_ROW("cropped", crop_foot_max_skew_deg, 5.0, 0, 45, "the sheet-sat-low test is made only on pages skewed at most this, in degrees"),
    PF_ROW("cropped", short_scan_share, QR_SHORT_SCAN_SHARE, 0, 1, "a scan shorter than this share of the nearest standard sheet stopped early: cropped"),
    PF_ROW("orientation", orient_fault_conf, 10.0, 0, 1000, "not turned, best direction not upright with |confidence| at least this: orientation fault"),
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

static void set_default(qr_profile *p, const pf_row *r)
{
    char *field = (char *)p + r->offset;
    if (r->type == PF_BOOL) {
        bool b = r->def != 0;
        memcpy(field, &b, sizeof b);
    } else if (r->type == PF_INT) {
        int i = (int)r->def;
        memcpy(field, &i, sizeof i);
    } else {
        memcpy(field, &r->def, sizeof r->def);
    }
}

void qr_profile_default(qr_profile *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < N_ROWS; i++)
        set_default(p, &ROWS[i]);
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
