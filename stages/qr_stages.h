/*
 * qr_stages: the pure page stages — analyse a decoded page and correct it.
 *
 * Why: every page of a delivery goes through the same questions (is it skewed,
 * turned, blank, badly exposed?) and, when needed, one correction (rotate
 * upright, deskew). Keeping these pure makes each testable and benchmarkable
 * on its own, and lets any number of workers run them side by side.
 *
 * Threads: any worker thread. Stages keep no globals and do no I/O; they only
 * read the caller's PIX and allocate new ones. Leptonica is thread-safe for
 * distinct PIX objects, so the only rule is that the caller's page is not used
 * by another thread during the call. qr_stages_global_init() must run once at
 * program start, before any thread exists (it sets Leptonica's process-wide
 * message and debug switches so that library code never prints).
 *
 * Input pages: Leptonica PIX of depth 1 (1 = black), 8 (gray; a colormap is
 * tolerated) or 32 (RGB); 2, 4 and 16 bpp are converted to gray for analysis.
 *
 * Cost: analysis works on a reduced image at about profile.analysis_dpi
 * (150 dpi by default): 1 bpp pages by 2x rank reduction, gray and colour pages
 * by area-map scaling of the luma. Full resolution is touched only to
 * binarize/reduce once and, by qr_correct, when a correction is really needed.
 * A gray or colour page too large to hold whole is never at full resolution
 * in memory: qr_band_reducer builds a 300 dpi luma copy from its bands.
 *
 * Conventions (the same as the exports and the corpus truth):
 *  - skew_deg: positive = the content is turned counter-clockwise as displayed,
 *    so text lines rise to the right. It is measured relative to the nearest
 *    page axis after the orientation is undone, so it does not depend on the
 *    orientation. (Leptonica's skew angle has this sign; deskewing rotates the
 *    page clockwise by skew_deg. Checked on a page turned by a known angle and
 *    on ocrmypdf_skew-render.tif, whose truth is -1.865.)
 *  - orientation: how the page was delivered — its content turned clockwise by
 *    0, 90, 180 or 270 degrees. Correcting it turns the page counter-clockwise
 *    by that amount. Leptonica's pixOrientDetect gives two signed confidences:
 *    up > 0 upright (0), up < 0 upside down (180), left > 0 text lines read
 *    bottom to top (270), left < 0 top to bottom (90). Checked on synthetic
 *    pages turned with pixRotateOrth and on ocrmypdf_cardinal-p3 (180) and -p4
 *    (270).
 *
 * The analysis record is meant to grow: later quality detectors add fields at
 * the end. Callers zero-initialise nothing themselves; qr_analyze fills the
 * whole record, so new fields are always defined.
 */
#ifndef QR_STAGES_H
#define QR_STAGES_H

#include <stdbool.h>
#include <stdio.h>

#include "qr_fault.h"
#include "qr_util.h"
#include "qr_verdict.h"

struct Pix; /* Leptonica's PIX */

/* Thresholds. Built-in defaults come from qr_profile_default(); an INI profile
 * or flags may override single fields afterwards. */
typedef struct qr_profile {
    double min_dpi;              /* resolution below this is low (300) */
    double analysis_dpi;         /* working resolution of the reduced image (150) */
    /* skew */
    double deskew_threshold_deg; /* deskew when |skew| >= this (0.1) */
    double max_skew_deg;         /* largest skew that may be corrected (10) */
    double skew_search_deg;      /* sweep +-this around 0; > max_skew_deg (30) */
    double skew_min_conf;        /* Leptonica max/min score ratio to trust (1.8) */
    double skew_large_min_conf;  /* ... for an angle beyond max_skew_deg (1.3) */
    /* orientation */
    bool detect_orientation;     /* run orientation detection at all (true) */
    double orient_min_conf;      /* |confidence| to accept a direction (8.0) */
    double orient_min_ratio;     /* best / other-axis |confidence| (2.5) */
    double orient_min_ink;       /* skip detection below this ink fraction (0.002) */
    /* ink, blank and exposure */
    double blank_margin;         /* band ignored on each side, fraction of size (0.1) */
    double blank_ink_max;        /* centre ink fraction at or below = blank (0.0008) */
    int ink_min_delta;           /* ink is at least this much darker than paper (40) */
    /* duplicate pages (stages/dup*.c) */
    double dup_min_similarity;   /* qr_signature_similarity at or above = duplicate */
    int dup_max_hash_distance;   /* quick filter: perceptual hashes further apart are
                                    never duplicates (bits of 63) */
    /* confirmation on gray and colour pages: the same sheet scanned twice */
    double dup_max_paper_delta;  /* paper levels differ by at most this (1) */
    double dup_max_tone_delta;   /* mean levels differ by at most this (1.5) */
    double dup_max_ink_change;   /* ink fractions differ by at most this share (0.06) */
    double dup_max_scale_change; /* content width differs by at most this share (0.02) */
    double dup_max_shift_mm;     /* the ink lies at most this far from where it was on
                                    the page before, on both axes (2.2) */
    double dup_max_fit_scale;    /* the profiles match at a scale at most this far from
                                    1 on both axes (0.006) */
    double dup_max_skew_delta;   /* the two scans' skew angles differ by at most this
                                    many degrees (1.2) */
    /* streaks: dark vertical lines from dirt on the scanner glass */
    double streak_min_length;    /* share of the height a line must cover, reaching
                                    the top and bottom margins (0.6) */
    double streak_min_contrast;  /* darkness over both neighbours, gray levels (24) */
    /* cropped: content cut at an edge */
    double crop_min_margin_mm;   /* content closer than this to an edge is cut (1.25) */
    double crop_min_extent;      /* ... over at least this share of that edge (0.0) */
    double crop_min_opposite_mm; /* ... and the opposite margin is at least this wide (a
                                    sheet fed off-centre), or, for the bottom edge, the
                                    scan is shorter than its sheet (30) */
    double crop_min_backing_mm;  /* black backing this deep along one edge while the
                                    sheet runs into the opposite one: the sheet was
                                    fed off the frame there (15) */
    double crop_foot_margin_mm;  /* content this close to the foot of the page (deskewed,
                                    in reading direction) ... (4.0) */
    double crop_min_head_mm;     /* ... under this much empty head: the sheet sat low and
                                    its foot is outside the frame (40) */
    /* exposure: gray and colour pages by their levels, bitonal pages by
     * what thresholding left of them */
    double dark_paper_min;       /* paper level (90th percentile) below this = too dark */
    double light_ink_max;        /* darkest ink (see ink_luma) above this = too light */
    double dark_ink_max;         /* bitonal: black share of the page above = too dark
                                    (thresholding turned dark paper into speckle) */
    double dark_margin_min;      /* bitonal: ... and ink share of the margins at least this
                                    (a dark photo on a clean page leaves them white) */
    double light_blob_min;       /* bitonal: ink pixels per connected component below
                                    this at the working resolution = too light (strokes
                                    broken into dots) */
    double light_stroke_min;     /* 1 bpp: mean stroke width below this, in pixels at
                                    300 dpi = too light (only the cores of faded strokes
                                    were kept) */
    double light_stroke_ratio;   /* 1 bpp: stroke width over letter height below this =
                                    too light (lighter than any print face) */
    /* orientation fault: not turned, but probably not upright either */
    double orient_fault_conf;    /* best direction != upright with |confidence| at or
                                    above this, yet not confident enough to turn */
    /* duplex scans: a blank page at an even position (a back side) is
       recorded without a blank fault (false) */
    bool allow_blank_backs;
    /* bitonal pages on black backing: the backing is not the sheet's ink */
    double backing_min;          /* backing over at least this share of the frame (0.05) */
    double backing_max;          /* ... and at most this share (0.90) */
    double backing_min_blob;     /* ... on pages with marks of this many px or more (40) */
    double speckle_ink_min;      /* small marks over this ink share: too dark (0.12) */
    double light_hairline_ratio; /* hairlines are also under this share of the letter
                                    height (0.13) */
    double stroke_max_skew_deg;  /* stroke tests only up to this skew (5) */
    double vanished_dot_max;     /* faded print: px per mark under this
                                    (QR_VANISHED_DOT_MAX) */
    double crop_off_frame_mm;    /* a sheet runs into an edge with less backing (1) */
    double crop_foot_max_skew_deg; /* sheet-sat-low test up to this skew (5) */
    double short_scan_share;     /* a scan this much of its sheet stopped early
                                    (QR_SHORT_SCAN_SHARE) */
} qr_profile;

void qr_profile_default(qr_profile *p);

/* ---- Profiles as text (stages/profile.c) --------------------------------
 * An INI profile names fields as `[section] key = value`; every field of
 * qr_profile has exactly one section and key (see qr_profile_print). */
/* Set one field from text. QR_EINVAL with a message naming the key when the
 * key is unknown or the value is out of range or not a number. */
int qr_profile_set(qr_profile *p, const char *section, const char *key, const char *value,
                   qr_err *err);
/* Apply an INI file on top of *p. Errors name the file and line. */
int qr_profile_load(qr_profile *p, const char *path, qr_err *err);
/* Write the whole profile as an INI file that qr_profile_load reads back. */
void qr_profile_print(const qr_profile *p, FILE *out);

/* A bitonal page that looks empty but has under this many ink pixels per
 * mark inside its margins, spread like text, is faded print
 * (qr_analysis.faded, .dot_px): the default of profile.vanished_dot_max. */
#define QR_VANISHED_DOT_MAX 1.5

/* Metrics of one page. All fields are always set by qr_analyze. */
typedef struct qr_analysis {
    /* geometry and resolution */
    int width, height, depth;    /* of the page as given */
    double xdpi, ydpi;           /* as given; 0 = unknown */
    double dpi;                  /* min(xdpi, ydpi); 0 = unknown */
    bool low_dpi;                /* dpi known and below profile.min_dpi */
    double work_dpi;             /* resolution the analysis ran at (assumed when dpi unknown) */
    /* skew (see conventions above) */
    bool skew_found;             /* an angle was measured with skew_conf >= skew_min_conf */
    double skew_deg;             /* 0 when not found */
    double skew_conf;            /* Leptonica's max/min score ratio; 0 = no measurement */
    double skew_measured_deg;    /* the angle skew_conf belongs to, found or not */
    /* orientation (see conventions above) */
    bool orient_checked;         /* detection ran (skipped on blank / inkless pages) */
    bool orient_confident;       /* orientation may be corrected */
    int orientation;             /* 0, 90, 180, 270; 0 unless confident */
    int orient_guess;            /* best direction even when not confident */
    double orient_conf;          /* |confidence| of the best direction */
    double orient_ratio;         /* best / other axis (large = unambiguous) */
    double up_conf, left_conf;   /* Leptonica's raw signed confidences */
    bool orient_fine;            /* decided at the finer resolution (escalated) */
    double coarse_up, coarse_left; /* the working resolution's confidences (diagnostic) */
    double unturned_skew_conf;   /* skew confidence on the page as delivered, before a
                                    sideways page is measured again upright */
    /* ink and blank */
    double ink_fraction;         /* black fraction of the whole reduced page */
    double centre_ink_fraction;  /* inside the margin band, specks removed */
    bool blank;                  /* centre_ink_fraction <= profile.blank_ink_max */
    bool faded;                  /* looks empty but is faded writing, not blank: a gray
                                    page with writing just below the paper level, or a
                                    bitonal one whose strokes left single pixels */
    double faint_share;          /* gray page without ink: share of its centre between
                                    the ink threshold and 30 levels under the paper
                                    (faded writing); -1 = not measured */
    /* exposure (gray levels 0-255 of the reduced luma; 1 bpp: 0/255) */
    double mean_luma;
    int paper_luma;              /* 90th percentile: the paper level */
    int ink_luma;                /* the darkest ink more than 8 mm inside the edges: 0.5th
                                    percentile, or the median of the ink when it covers
                                    less than 0.5 % */
    int contrast;                /* paper_luma - ink_luma */
    int ink_threshold;           /* luma below this counted as ink; 1 bpp: -1 */
    bool bitonal;                /* judged by its black pixels, not by gray levels (1 bpp
                                    input, or analysed on the 1 bpp path) */
    /* streaks (analyze_qc.c) */
    int streaks;                 /* dark vertical lines at least streak_min_length long */
    double streak_length;        /* the longest line: fraction of the page height */
    double streak_x;             /* its position: fraction of the width */
    double streak_contrast;      /* its median darkness over the background (levels) */
    /* margins and cut content (analyze_qc.c) */
    double margin_mm[4];         /* top, right, bottom, left: blank paper between the
                                    content and the image edge; -1 = no content */
    double edge_ink[4];          /* share of each edge along which content touches it */
    bool separator;              /* looks like a patch-code separator sheet */
    bool short_scan;             /* sheet_share under QR_SHORT_SCAN_SHARE: the scan
                                    stopped early */
    double sheet_share;          /* the scan's length (mm from the resolution tags) over
                                    the nearest longer standard sheet of its width; 1 = a
                                    standard sheet, -1 = no standard width or dpi */
    double backing_fraction;     /* share of the page that is scanner backing (black
                                    regions joined to the border) */
    double backing_mm[4];        /* top, right, bottom, left: depth of that backing
                                    along each edge (median over the middle 60 % of
                                    the edge), mm; 0 = the sheet reaches the edge */
    double margin_ink_fraction;  /* ink outside the centre (speckle on dark pages) */
    double blob_px;              /* mean ink pixels per connected component; -1 = no ink
                                    or not bitonal */
    double dot_px;               /* bitonal page with too little ink for text: ink pixels
                                    per mark inside the margin band (faded print leaves
                                    single pixels); -1 = not measured */
    double stroke_px;            /* 1 bpp input: mean stroke width in source pixels
                                    (twice the ink over its boundary); -1 = not measured */
    double char_px;              /* bitonal: median height of letter-sized marks in source
                                    pixels (from the working resolution) on the page
                                    upright: across the image rows once it is turned by
                                    90 or 270; -1 = fewer than 20 such marks */
    double char_across_px;       /* the same along the other axis */
} qr_analysis;

/* Analyse a page. xdpi/ydpi: 0 when unknown. Returns QR_OK, or QR_EINVAL /
 * QR_ENOMEM with *err naming the problem; *out is then zeroed. */
int qr_analyze(const struct Pix *pix, double xdpi, double ydpi, const qr_profile *prof,
               qr_analysis *out, qr_err *err);

/* ---- Pages too large to hold whole (stages/reduce_band.c) --------------
 * A page that formats/ hands over band by band is reduced as it is decoded:
 * the band reducer keeps only 8 bpp luma at twice analysis_dpi (the page's
 * own resolution when lower), about 300 dpi, so memory is that copy plus one
 * band. new: the page's size, depth (8 or 32) and resolution tags (0 =
 * none); rows: its next rows, top to bottom; finish: the copy (caller owns
 * it) and the resolution to analyse it at (0 when the page has none), NULL
 * on error; the reducer is freed either way. qr_analyze the copy at that
 * resolution, take its signature with that analysis, then state the
 * analysis for the page with qr_analysis_of_page (size, depth, resolution
 * and low_dpi as the page's; lengths in mm and shares are the copy's). */
typedef struct qr_band_reducer qr_band_reducer;
int qr_band_reducer_new(int width, int height, int depth, double xdpi, double ydpi,
                        const qr_profile *prof, qr_band_reducer **out, qr_err *err);
int qr_band_reducer_rows(qr_band_reducer *r, const struct Pix *band, qr_err *err);
struct Pix *qr_band_reducer_finish(qr_band_reducer **r, double *xdpi, double *ydpi, qr_err *err);
void qr_band_reducer_free(qr_band_reducer **r);
void qr_analysis_of_page(qr_analysis *a, int width, int height, int depth, double xdpi,
                         double ydpi, const qr_profile *prof);

/* What qr_correct did. */
typedef struct qr_correction {
    bool changed;            /* false: *out is NULL, pass the original bytes through */
    int rotation;            /* orientation undone: content turned counter-clockwise
                                by this many degrees (0/90/180/270) */
    double skew_applied_deg; /* skew removed (same sign as skew_deg); 0 = none */
    bool skew_too_large;     /* |skew| > max_skew_deg: left as is (a fault for QC) */
} qr_correction;

/* The correction a page needs, decided without touching pixels: the same
 * rotation and skew qr_correct would apply (changed = either is set). ingest
 * applies it through the PDF page's drawing matrix, keeping the scanner's
 * G4 / JPEG bytes; qr_correct applies it to pixels. */
void qr_correct_plan(const qr_analysis *an, const qr_profile *prof, qr_correction *what);

/* Rotate upright when the orientation is confident, deskew when
 * deskew_threshold_deg <= |skew| <= max_skew_deg. The page keeps its size
 * (a 90/270 turn swaps width and height); corners brought in are white.
 * *out is a new PIX of the input's depth, or NULL when nothing changed.
 * Returns QR_OK, or QR_EINVAL / QR_ENOMEM. */
int qr_correct(const struct Pix *pix, const qr_analysis *an, const qr_profile *prof,
               struct Pix **out, qr_correction *what, qr_err *err);

/* ---- Page verdict (stages/verdict.c) -----------------------------------
 * The page faults that follow from an analysis and its correction (c may be
 * NULL: no correction was attempted), each with the measured value and the
 * threshold it crossed, at most one cause per page plus the independent
 * low_dpi and streaks. Writes at most max faults; returns how many. Pure. */
int qr_page_faults(const qr_analysis *a, const qr_correction *c, const qr_profile *p,
                   qr_fault *out, int max);
/* The duplicate fault of a page that repeats the one before (page >= 2), with
 * the similarity qr_signature_similarity measured. */
qr_fault qr_fault_duplicate(int page, double similarity, const qr_profile *p);
/* True when the profile waives this page fault once its delivered position
 * (f->page) is known: a blank back side of a duplex scan. */
bool qr_fault_waived(const qr_fault *f, const qr_profile *p);
/* The file's faults and the weighing of accepts: qr_verdict.h. */

/* Once at program start, before threads: silence Leptonica's messages and
 * debug output (process-wide settings). */
void qr_stages_global_init(void);

/* ---- Duplicate pages (stages/dup.c, stages/dup_match.c) -----------------
 *
 * The same sheet fed twice gives two consecutive pages that differ only by
 * scanning: skew (a few tenths of a degree, up to about 2), position (a few
 * mm), sensor noise, JPEG/threshold artefacts and scale (up to +-1.5 %). A
 * qr_signature captures a page so that two scans of one sheet compare as
 * nearly equal while two different pages (even of the same form) do not:
 *  - a 64-bit perceptual hash (DCT of a 32x32 thumbnail of the content box)
 *    as a quick filter, and
 *  - ink projection profiles (per row and per column, in physical units of
 *    1/QR_SIG_DPI inch) of the upright, deskewed page, compared by normalized
 *    cross-correlation over a search of shifts and scales.
 * A signature is a plain value (no heap): the pipeline keeps one per page. */
#define QR_SHORT_SCAN_SHARE 0.93 /* a scan 7 % shorter than its sheet stopped early: the
                                    default of profile.short_scan_share */
#define QR_SIG_DPI 50    /* resolution of the profiles (one bin = 0.51 mm) */
#define QR_SIG_BINS 768  /* up to 15.3 inches per axis; longer pages are cut */

typedef struct qr_signature {
    bool valid;                /* set by qr_signature_compute */
    bool blank;                /* blank page (analysis or no ink): never a duplicate */
    uint64_t phash;            /* 63 bits used */
    uint64_t phash180;         /* the same for the page turned by 180 degrees */
    int hlen, vlen;            /* bins in use: upright page height, width */
    /* the sheet as the scanner saw it (gray and colour pages only): one sheet
     * scanned twice keeps its paper level, tone and scale; another print of
     * the same page does not quite */
    bool toned;                /* paper level measured (not a bitonal page) */
    int paper_luma;
    double mean_luma, ink_fraction;
    double content_w_mm, content_h_mm; /* between the margins; 0 = unknown */
    /* how the sheet lay in the scanner: a sheet fed twice lies about as
     * straight both times; another print of the page was fed on its own */
    bool skew_found;
    double skew_deg;
    float hprof[QR_SIG_BINS];  /* ink per row, top to bottom */
    float vprof[QR_SIG_BINS];  /* ink per column, left to right */
} qr_signature;

/* Signature of a page, from the page and its analysis (its orientation and
 * skew are undone on a reduced copy). Cost: a few ms. Returns QR_OK, or
 * QR_EINVAL / QR_ENOMEM with *err naming the problem (*out is then zeroed). */
int qr_signature_compute(const struct Pix *pix, const qr_analysis *an, qr_signature *out,
                         qr_err *err);
/* Similarity of two signatures in [0, 1]: 1 = the same sheet scanned twice.
 * 0 when either is invalid or blank. */
double qr_signature_similarity(const qr_signature *a, const qr_signature *b);
/* Hamming distance of the perceptual hashes (0-63), the smaller of a against
 * b as it is and against b turned by 180 degrees. */
int qr_signature_hash_distance(const qr_signature *a, const qr_signature *b);
/* True when b repeats a: neither blank, hashes within dup_max_hash_distance
 * and similarity >= dup_min_similarity. *similarity (may be NULL) receives the
 * similarity, computed even when the quick filter already said no. */
bool qr_signature_is_duplicate(const qr_signature *a, const qr_signature *b,
                               const qr_profile *p, double *similarity);

#endif
