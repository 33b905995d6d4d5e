/*
 * Unit tests of the page verdict (stages/verdict.c): every rule on both sides
 * of its threshold, the recorded value and threshold, and the one-cause
 * precedence. Measurements are set by hand, so each case isolates one rule;
 * the detectors themselves are tested on images in test_stages_qc.c.
 */
#include <math.h>
#include <string.h>

#include "qr_stages.h"
#include "qr_test.h"

/* A clean gray page as the analysis would describe it. */
static qr_analysis clean_gray(void)
{
    qr_analysis a;
    memset(&a, 0, sizeof a);
    a.width = 2480;
    a.height = 3508;
    a.depth = 8;
    a.dpi = a.xdpi = a.ydpi = 300;
    a.work_dpi = 150;
    a.skew_found = true;
    a.skew_conf = 8;
    a.orient_checked = true;
    a.orient_confident = true;
    a.orient_conf = 20;
    a.orient_ratio = 5;
    a.ink_fraction = 0.08;
    a.centre_ink_fraction = 0.1;
    a.mean_luma = 220;
    a.paper_luma = 235;
    a.ink_luma = 30;
    a.contrast = 205;
    a.ink_threshold = 150;
    for (int s = 0; s < 4; s++)
        a.margin_mm[s] = 15;
    a.margin_ink_fraction = 0.001;
    a.blob_px = 80;
    return a;
}

static qr_analysis clean_bitonal(void)
{
    qr_analysis a = clean_gray();
    a.depth = 1;
    a.bitonal = true;
    a.ink_threshold = -1;
    a.paper_luma = 255;
    a.ink_luma = 0;
    a.contrast = 255;
    a.stroke_px = 4.5;
    a.char_px = 26;
    return a;
}

static int faults(const qr_analysis *a, const qr_correction *c, qr_fault *out)
{
    qr_profile p;
    qr_profile_default(&p);
    return qr_page_faults(a, c, &p, out, 8);
}

/* Exactly one fault of this kind, with this value and threshold. */
static void expect_one(const qr_analysis *a, const qr_correction *c, qr_fault_kind kind,
                       double value, double threshold, const char *what)
{
    qr_fault f[8];
    int n = faults(a, c, f);
    CHECKF(n == 1 && f[0].kind == kind, "%s: %d faults, first %s", what, n,
           n ? qr_fault_name(f[0].kind) : "-");
    if (n >= 1) {
        CHECKF(f[0].value == value, "%s: value %g, want %g", what, f[0].value, value);
        CHECKF(f[0].threshold == threshold, "%s: threshold %g, want %g", what, f[0].threshold,
               threshold);
        CHECKF(f[0].detail[0] != 0, "%s: has a message", what);
    }
}

static void expect_none(const qr_analysis *a, const qr_correction *c, const char *what)
{
    qr_fault f[8];
    int n = faults(a, c, f);
    CHECKF(n == 0, "%s: %d faults, first %s (%s)", what, n, n ? qr_fault_name(f[0].kind) : "-",
           n ? f[0].detail : "");
}

static void test_clean(void)
{
    qr_analysis g = clean_gray(), b = clean_bitonal();
    expect_none(&g, NULL, "clean gray");
    expect_none(&b, NULL, "clean bitonal");
}

static void test_low_dpi(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.dpi = 200;
    a.low_dpi = true;
    expect_one(&a, NULL, QR_FAULT_LOW_DPI, 200, p.min_dpi, "200 dpi");
}

static void test_blank(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.blank = true;
    a.centre_ink_fraction = 0.0002;
    /* a blank page is not also too light, turned or cut */
    a.ink_luma = 220;
    a.orient_confident = false;
    a.orient_guess = 180;
    a.margin_mm[2] = 0;
    a.edge_ink[2] = 0.5;
    expect_one(&a, NULL, QR_FAULT_BLANK, 0.0002, p.blank_ink_max, "blank");
}

static void test_streaks(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    a.streak_length = 0.8;
    expect_none(&a, NULL, "a line shorter than the minimum (no streak counted)");
    a.streaks = 2;
    a.streak_length = 1.0;
    a.streak_x = 0.4;
    expect_one(&a, NULL, QR_FAULT_STREAKS, 1.0, p.streak_min_length, "two streaks");
}

static void test_exposure_gray(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.paper_luma = (int)p.dark_paper_min;
    expect_none(&a, NULL, "paper exactly at the dark limit");
    a.paper_luma = (int)p.dark_paper_min - 1;
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, a.paper_luma, p.dark_paper_min, "dark paper");
    a = clean_gray();
    a.ink_luma = (int)p.light_ink_max;
    expect_none(&a, NULL, "ink exactly at the light limit");
    a.ink_luma = (int)p.light_ink_max + 1;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, a.ink_luma, p.light_ink_max, "faint ink");
}

static void test_exposure_bitonal(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    a.ink_fraction = p.dark_ink_max;
    expect_none(&a, NULL, "speckle at the limit");
    a.ink_fraction = p.dark_ink_max * 2;
    expect_none(&a, NULL, "dark photo, white margins");
    a.margin_ink_fraction = p.dark_margin_min;
    /* speckle reaching an edge is not a cut */
    a.margin_mm[0] = 0;
    a.edge_ink[0] = 0.9;
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, p.dark_ink_max * 2, p.dark_ink_max,
               "speckled margins");
    /* Black backing beside a sheet fed off-centre is not the sheet's ink:
     * 38 % black with a third of the frame backing is a cut page, not a
     * dark one (seed 11: three such pages were called too dark). */
    a = clean_bitonal();
    a.ink_fraction = 0.38;
    a.margin_ink_fraction = 0.45;
    a.backing_fraction = 0.33;
    a.blob_px = 500; /* strokes and the backing's own large component */
    a.margin_mm[3] = 0;
    a.edge_ink[3] = 0.2;
    a.margin_mm[1] = p.crop_min_opposite_mm + 50;
    expect_one(&a, NULL, QR_FAULT_CROPPED, 0, p.crop_min_margin_mm, "backing beside a cut sheet");
    /* ... while a sheet that is dark itself stays too dark beside backing */
    a.ink_fraction = 0.33 + 0.67 * (p.dark_ink_max + 0.1);
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, (a.ink_fraction - 0.33) / (1.0 - 0.33), p.dark_ink_max,
               "dark sheet beside backing");
    /* A speckled page whose speckle meshes into border components over part
     * of the frame: its marks are small, so that is not backing either. */
    a.ink_fraction = 0.37;
    a.blob_px = 9.4;
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, 0.37, p.dark_ink_max, "speckle, partly meshed");
    /* Speckle meshing into one border component over the whole frame is the
     * page, not backing: the ink is counted as it is. */
    a = clean_bitonal();
    a.ink_fraction = 0.8;
    a.margin_ink_fraction = 0.75;
    a.backing_fraction = 1.0;
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, 0.8, p.dark_ink_max, "speckle over the frame");
    /* Small marks over much of the page are speckle (too dark), over little
     * of it broken strokes (too light); the boundary is 12 % black. */
    a = clean_bitonal();
    a.blob_px = p.light_blob_min * 0.3;
    a.ink_fraction = 0.20;
    a.margin_ink_fraction = 0.15;
    expect_one(&a, NULL, QR_FAULT_TOO_DARK, 0.20, 0.12, "speckle under the dark limit");
    a.ink_fraction = 0.11;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, p.light_blob_min * 0.3, p.light_blob_min,
               "broken strokes, 11 % black");
    a = clean_bitonal();
    a.blob_px = p.light_blob_min;
    expect_none(&a, NULL, "strokes at the limit");
    a.blob_px = p.light_blob_min * 0.5;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, p.light_blob_min * 0.5, p.light_blob_min,
               "broken strokes");
    /* Print faded to single dots on black backing: the backing makes the
     * page's marks large, the dots inside the margins tell (analyze_ink.c
     * sets faded only under QR_VANISHED_DOT_MAX px per mark there). */
    a = clean_bitonal();
    a.blob_px = 71;
    a.ink_fraction = 0.022;
    a.faded = true;
    a.dot_px = QR_VANISHED_DOT_MAX * 0.74;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, a.dot_px, QR_VANISHED_DOT_MAX,
               "dots on black backing");
    a.faded = false;
    expect_none(&a, NULL, "dots not faded (a blank sheet's specks)");
    a.faded = true;
    a.dot_px = -1;
    expect_none(&a, NULL, "faded without a centre measure");
    /* a page scanned at the working resolution has thin marks of its own;
     * the stroke tests are not read under min_dpi either */
    a.dpi = a.xdpi = a.ydpi = 150;
    a.low_dpi = true;
    expect_one(&a, NULL, QR_FAULT_LOW_DPI, 150, p.min_dpi, "small marks at 150 dpi");
    a.blob_px = 80;
    a.stroke_px = 1.0; /* 2 px at 300 dpi, 0.038 of the letter height */
    expect_one(&a, NULL, QR_FAULT_LOW_DPI, 150, p.min_dpi, "hairlines at 150 dpi");
}

static bool has_light(const qr_analysis *a)
{
    qr_fault f[8];
    int n = faults(a, NULL, f);
    for (int i = 0; i < n; i++)
        if (f[i].kind == QR_FAULT_TOO_LIGHT)
            return true;
    return false;
}

/* Whole strokes thinner than print: hairlines narrow for their letters, or
 * strokes narrow for their letters at any width. */
static void test_thin_strokes(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    a.char_px = 20; /* ratio 0.11: only the hairline rule can fire */
    a.stroke_px = p.light_stroke_min;
    expect_none(&a, NULL, "hairlines at the limit");
    a.stroke_px = p.light_stroke_min - 0.01;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, a.stroke_px, p.light_stroke_min, "hairlines");
    /* thin print of small letters (a form's fine print) is not faded */
    a.char_px = a.stroke_px / 0.13;
    expect_none(&a, NULL, "hairlines on small letters");
    /* the width is read at 300 dpi */
    a = clean_bitonal();
    a.dpi = a.xdpi = a.ydpi = 600;
    a.stroke_px = 4.0;
    a.char_px = 40;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, 2.0, p.light_stroke_min, "hairlines at 600 dpi");
    a.stroke_px = 2 * p.light_stroke_min;
    expect_none(&a, NULL, "600 dpi, at the limit");
    /* narrow for the letters at any width */
    a = clean_bitonal();
    a.stroke_px = 3.0;
    a.char_px = 3.0 / p.light_stroke_ratio;
    expect_none(&a, NULL, "narrow at the limit");
    a.char_px = 31;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, 3.0 / 31, p.light_stroke_ratio, "narrow strokes");
    /* a skewed page's letter boxes are taller than its letters */
    a.skew_measured_deg = -5.5;
    CHECKF(!has_light(&a), "narrow strokes on a page skewed 5.5 deg: not judged");
    a.skew_measured_deg = 4.5;
    CHECKF(has_light(&a), "narrow strokes on a page skewed 4.5 deg: too light");
    /* a page turned by 90 or 270 is not judged (a wrong turn reads the
     * letters' width); an unsure one by the smaller letter extent */
    a.skew_measured_deg = 0;
    a.orientation = 90;
    CHECKF(!has_light(&a), "narrow strokes on a page turned by 90: not judged");
    a.orientation = 0;
    a.orient_confident = false;
    a.char_across_px = 3.0 / p.light_stroke_ratio;
    CHECKF(!has_light(&a), "unsure orientation, across the lines at the limit: spared");
    a.char_across_px = 40;
    CHECKF(has_light(&a), "unsure orientation, narrow both ways: too light");
    a.orient_confident = true;
    /* not measured: no letters, or not 1 bpp */
    a.skew_measured_deg = 0;
    a.char_px = -1;
    expect_none(&a, NULL, "no letters");
    a.char_px = 31;
    a.stroke_px = -1;
    expect_none(&a, NULL, "no stroke width");
    /* marks broken into dots are named first */
    a = clean_bitonal();
    a.stroke_px = 2.0;
    a.blob_px = p.light_blob_min / 2;
    expect_one(&a, NULL, QR_FAULT_TOO_LIGHT, p.light_blob_min / 2, p.light_blob_min,
               "dots and hairlines");
}

static void test_skew(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.skew_deg = 14.5;
    qr_correction c = {.changed = false, .skew_too_large = true};
    /* heavy skew takes corners out of the frame: not reported as cut */
    a.margin_mm[1] = 0;
    a.edge_ink[1] = 0.3;
    expect_one(&a, &c, QR_FAULT_SKEW, 14.5, p.max_skew_deg, "heavy skew");
    c.skew_too_large = false;
    c.skew_applied_deg = 9.9;
    a.margin_mm[1] = 15;
    expect_none(&a, &c, "skew corrected");
}

static void test_orientation(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.orient_confident = false;
    a.orient_guess = 180;
    a.orient_conf = p.orient_fault_conf - 0.5;
    expect_none(&a, NULL, "too weak a hint to report");
    a.orient_conf = p.orient_fault_conf + 0.5;
    expect_one(&a, NULL, QR_FAULT_ORIENTATION, p.orient_fault_conf + 0.5, p.orient_fault_conf,
               "probably upside down, not turned");
    a.orient_guess = 0;
    expect_none(&a, NULL, "probably upright");
    a.orient_checked = false;
    a.orient_guess = 90;
    expect_none(&a, NULL, "not checked (no text)");
}

static void test_cropped(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    /* fed off-centre: a wide top margin, but a head too narrow for a sheet
     * that sat low (see test_foot) */
    a.margin_mm[0] = p.crop_min_opposite_mm + 5;
    CHECK(a.margin_mm[0] < p.crop_min_head_mm);
    a.margin_mm[2] = p.crop_min_margin_mm;
    a.edge_ink[2] = 0.5;
    expect_none(&a, NULL, "margin at the limit");
    a.margin_mm[2] = 0;
    a.edge_ink[2] = 0.3;
    a.margin_mm[0] = p.crop_min_opposite_mm - 1;
    expect_none(&a, NULL, "content filling the sheet (narrow opposite margin)");
    a.short_scan = true;
    a.sheet_share = 0.8;
    expect_one(&a, NULL, QR_FAULT_CROPPED, 0, p.crop_min_margin_mm, "short scan cut at the bottom");
    /* a short scan is cut even where no content reaches its bottom edge:
     * the rest of the sheet, whatever it held, was not scanned */
    a.margin_mm[2] = 10;
    expect_one(&a, NULL, QR_FAULT_CROPPED, 0.8, QR_SHORT_SCAN_SHARE, "short scan, clear bottom");
    a.short_scan = false;
    a.sheet_share = 1.0;
    expect_none(&a, NULL, "full-length scan, clear bottom");
    a.margin_mm[2] = 0;
    a.margin_mm[0] = p.crop_min_opposite_mm;
    qr_fault f[8];
    faults(&a, NULL, f);
    CHECKF(strstr(f[0].detail, "bottom") != NULL, "names the edge: %s", f[0].detail);
}

/* Turned by `turn` degrees: content 2 mm from frame edge `foot` under
 * 80 mm of head is cut there; the same text pressed to its head is not. */
static void foot_turned(int turn, int foot, const char *edge)
{
    qr_analysis a = clean_bitonal();
    a.orientation = turn;
    a.margin_mm[foot] = 2.0;
    a.margin_mm[(foot + 2) % 4] = 80;
    qr_fault g[8];
    int n = faults(&a, NULL, g);
    CHECKF(n == 1 && g[0].kind == QR_FAULT_CROPPED && strstr(g[0].detail, edge),
           "turned %d, foot at the frame's %s: %d faults %s", turn, edge, n,
           n ? g[0].detail : "");
    a.margin_mm[foot] = 80;
    a.margin_mm[(foot + 2) % 4] = 2.0;
    n = faults(&a, NULL, g);
    CHECKF(n == 0, "turned %d, text pressed to its head: %d faults", turn, n);
}

/* A sheet that sat low: content near the foot under a wide empty head, on
 * both sides of crop_foot_margin_mm and crop_min_head_mm; the margins are
 * deskewed, and head and foot follow the reading direction. */
static void test_foot(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    a.skew_deg = 0;
    a.margin_mm[0] = p.crop_min_head_mm;
    a.margin_mm[2] = p.crop_foot_margin_mm - 0.5; /* over crop_min_margin_mm: no ink cut */
    CHECK(a.margin_mm[2] > p.crop_min_margin_mm);
    expect_one(&a, NULL, QR_FAULT_CROPPED, p.crop_foot_margin_mm - 0.5, p.crop_foot_margin_mm,
               "foot 0.5 mm under the limit, head at the limit");
    qr_fault f[8];
    faults(&a, NULL, f);
    CHECKF(strstr(f[0].detail, "sat low") && strstr(f[0].detail, "bottom edge"),
           "names the cause and the edge: %s", f[0].detail);
    a.margin_mm[2] = p.crop_foot_margin_mm;
    expect_none(&a, NULL, "foot at the limit");
    a.margin_mm[2] = p.crop_foot_margin_mm - 0.5;
    a.margin_mm[0] = p.crop_min_head_mm - 0.5;
    expect_none(&a, NULL, "head 0.5 mm under the limit");
    a.margin_mm[0] = 120;

    /* Skewed 1.5 deg: the box of the 180 mm wide block is about 180 mm *
     * tan(1.5 deg) = 4.5 mm taller than the block, so its corner comes
     * 2.3 mm closer to each edge than its lines (qr_deskewed_block). 2.0 mm
     * measured is 4.3 mm deskewed (not low); 1.5 mm is 3.77 mm (low). */
    a.skew_deg = 1.5;
    a.margin_mm[2] = 2.0;
    expect_none(&a, NULL, "skewed 1.5 deg, foot 2.0 mm at the corner");
    a.margin_mm[2] = 1.5;
    a.margin_mm[0] = 40; /* 42.4 mm deskewed */
    qr_fault g[8];
    int n = faults(&a, NULL, g);
    CHECKF(n == 1 && g[0].kind == QR_FAULT_CROPPED && fabs(g[0].value - 3.77) < 0.01,
           "skewed 1.5 deg, foot 1.5 mm at the corner: %d faults, value %.3f", n,
           n ? g[0].value : -1.0);
    a.skew_deg = 6.0;
    expect_none(&a, NULL, "skewed beyond 5 deg: the margins say little");
    a.skew_deg = 0;

    /* Turned: upside down the foot is the frame's top edge; turned 90
     * clockwise the head is at the right and the foot at the left. */
    foot_turned(180, 0, "top edge");
    foot_turned(90, 3, "left edge");
    foot_turned(270, 1, "right edge");
}

/* A sheet fed off the frame on black backing, cut between text lines: on
 * both sides of crop_min_backing_mm, and of the 1 mm of backing the cut
 * side may show. */
static void test_off_frame(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_bitonal();
    a.margin_mm[0] = 12, a.margin_mm[2] = 8; /* no content near any edge */
    a.backing_mm[0] = a.backing_mm[1] = a.backing_mm[3] = 2.0;
    expect_none(&a, NULL, "sheet framed by 2 mm of backing");
    a.backing_mm[0] = p.crop_min_backing_mm;
    a.backing_mm[2] = 0.5;
    expect_one(&a, NULL, QR_FAULT_CROPPED, p.crop_min_backing_mm, p.crop_min_backing_mm,
               "backing at the limit along the top, the sheet runs off the bottom");
    qr_fault f[8];
    faults(&a, NULL, f);
    CHECKF(strstr(f[0].detail, "off the frame at the bottom") != NULL, "names the edge: %s",
           f[0].detail);
    a.backing_mm[0] = p.crop_min_backing_mm - 0.1;
    expect_none(&a, NULL, "backing just under the limit");
    a.backing_mm[0] = 60;
    a.backing_mm[2] = 1.5;
    expect_none(&a, NULL, "deep backing on both sides (a small sheet, centred)");
    a.backing_mm[0] = a.backing_mm[2] = 2.0;
    a.backing_mm[1] = 0;
    a.backing_mm[3] = 40;
    expect_one(&a, NULL, QR_FAULT_CROPPED, 40, p.crop_min_backing_mm,
               "40 mm of backing at the left, the sheet runs off the right");
}

static void test_separator(void)
{
    qr_analysis a = clean_bitonal();
    a.separator = true;
    a.margin_mm[0] = 0; /* its bars reach near the edges: not "cut" */
    a.edge_ink[0] = 0.5;
    a.paper_luma = 100; /* nor too dark: it is not a page of the file, not judged as one */
    a.bitonal = false;
    expect_none(&a, NULL, "separator sheet: a flag, no page fault");
    a.streaks = 1; /* the scanner glass is still reported */
    a.streak_length = 1;
    expect_one(&a, NULL, QR_FAULT_STREAKS, 1.0, 0.6, "separator sheet with a streak");
}

static void test_capacity(void)
{
    qr_profile p;
    qr_profile_default(&p);
    qr_analysis a = clean_gray();
    a.low_dpi = true;
    a.dpi = 150;
    a.streaks = 1;
    a.streak_length = 1;
    a.paper_luma = 100;
    qr_fault f[8];
    CHECK_EQ_INT(qr_page_faults(&a, NULL, &p, f, 8), 3);
    CHECK_EQ_INT(qr_page_faults(&a, NULL, &p, f, 2), 2);
    CHECK_EQ_INT(f[0].kind, QR_FAULT_LOW_DPI);
    CHECK_EQ_INT(f[1].kind, QR_FAULT_STREAKS);
}

int main(void)
{
    test_clean();
    test_low_dpi();
    test_blank();
    test_streaks();
    test_exposure_gray();
    test_exposure_bitonal();
    test_thin_strokes();
    test_skew();
    test_orientation();
    test_cropped();
    test_foot();
    test_off_frame();
    test_separator();
    test_capacity();
    return qr_test_end();
}
