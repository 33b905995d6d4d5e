/*
 * Unit tests of the page quality detectors on synthetic pages, each on both
 * sides of its threshold: streaks, cropped, too_dark / too_light (gray and
 * bitonal), blank, orientation, skew (also on a speckled sheet), faded
 * writing and low_dpi. Two internal rules of the analysis are checked on
 * their own (stages_int.h): the local threshold of the faint-writing skew
 * retry, on an image, and the sideways veto's ratio.
 *
 * Why images and not hand-set measurements: test_stages_verdict.c already
 * checks the rules on made-up analyses; here the question is whether the
 * measurements behind them see a real dirt line, a cut edge or a dark sheet.
 * So every case goes through qr_analyze, qr_correct and qr_page_faults, as a
 * page does in `quire ingest`, and checks both the fault and the measured
 * field it comes from.
 *
 * Why thresholds are read from qr_profile_default(): the thresholds are tuned
 * on the corpus and move. Each image is built from the current threshold so
 * that its measured value sits clearly on one side (a dirt line twice as dark
 * as the streak contrast, or half; paper 20 levels below or above the dark
 * limit), which keeps the test about the detector, not about today's numbers.
 *
 * Pages are A4 at 300 dpi, text from Leptonica's bitmap font placed at
 * known margins, turned into gray with chosen paper and ink levels and a
 * little deterministic noise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"
#include "stages_int.h"

#define DPI 300
#define W 2480 /* A4 at 300 dpi */
#define H 3508

static qr_profile P; /* the built-in defaults, read once in main */

static int px(double mm) { return (int)lround(mm * DPI / 25.4); }

/* ---- making pages --------------------------------------------------------- */

static const char *const TEXT =
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen "
    "liquor jugs! How vexingly quick daft zebras jump; bright vixens jump, dozy "
    "fowl quack. Sphinx of black quartz, judge my vow. ";

/* A block of text exactly w_mm wide (ragged right aside) and at most h_mm
 * tall, cut to its ink. 1 bpp, 1 = ink. */
static PIX *text_block(double w_mm, double h_mm, int font)
{
    int w = px(w_mm), h = px(h_mm);
    PIX *canvas = pixCreate(w, h + 200, 1);
    L_BMF *bmf = bmfCreate(NULL, font);
    size_t n = 0, cap = 64 * 1024;
    char *buf = malloc(cap);
    buf[0] = 0;
    while (n + strlen(TEXT) + 1 < cap) {
        strcpy(buf + n, TEXT);
        n += strlen(TEXT);
    }
    l_int32 overflow = 0;
    pixSetTextblock(canvas, bmf, buf, 1, 0, 0, w, 0, &overflow);
    free(buf);
    bmfDestroy(&bmf);
    BOX *keep = boxCreate(0, 0, w, h);
    PIX *cut = pixClipRectangle(canvas, keep, NULL);
    boxDestroy(&keep);
    pixDestroy(&canvas);
    PIX *tight = NULL;
    pixClipToForeground(cut, &tight, NULL);
    pixDestroy(&cut);
    return tight;
}

/* An A4 page with `block` pasted at (left, top) in pixels; whatever falls
 * outside the sheet is lost, as on a sheet fed off-centre. */
static PIX *page_with(PIX *block, int left, int top)
{
    PIX *p = pixCreate(W, H, 1);
    pixSetResolution(p, DPI, DPI);
    pixRasterop(p, left, top, pixGetWidth(block), pixGetHeight(block), PIX_PAINT, block, 0, 0);
    return p;
}

/* A normal page: text with 15 mm margins all round (ragged right). */
static PIX *normal_page(void)
{
    PIX *b = text_block(180, 267, 10);
    PIX *p = page_with(b, px(15), px(15));
    pixDestroy(&b);
    return p;
}

/* 1 bpp -> 8 bpp with paper and ink levels and deterministic noise of +-noise. */
static PIX *to_gray(PIX *bin, int paper, int ink, int noise)
{
    PIX *g = pixConvert1To8(NULL, bin, (l_uint8)paper, (l_uint8)ink);
    pixSetResolution(g, DPI, DPI);
    unsigned s = 12345;
    int w = pixGetWidth(g), h = pixGetHeight(g), wpl = pixGetWpl(g);
    l_uint32 *data = pixGetData(g);
    for (int y = 0; y < h && noise > 0; y++) {
        l_uint32 *line = data + (size_t)y * wpl;
        for (int x = 0; x < w; x++) {
            s = s * 1103515245u + 12345u;
            int v = (int)GET_DATA_BYTE(line, x) + (int)((s >> 16) % (unsigned)(2 * noise + 1)) - noise;
            SET_DATA_BYTE(line, x, v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    return g;
}

/* Darken columns x .. x+width-1 of a gray page by `dark` levels from y0 to y1
 * (dirt on the scanner glass darkens whatever passes under it). */
static void gray_line(PIX *g, int x, int width, int y0, int y1, int dark)
{
    int wpl = pixGetWpl(g);
    l_uint32 *data = pixGetData(g);
    for (int y = y0; y < y1; y++) {
        l_uint32 *line = data + (size_t)y * wpl;
        for (int i = x; i < x + width; i++) {
            int v = (int)GET_DATA_BYTE(line, i) - dark;
            SET_DATA_BYTE(line, i, v < 0 ? 0 : v);
        }
    }
}

static unsigned next_rand(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Black 2x2 specks, aligned to the 2x reduction the analysis applies, over a
 * share `density` of the page: dark paper thresholded by the scanner. */
static void speckle(PIX *p, double density, unsigned seed)
{
    int w = pixGetWidth(p), h = pixGetHeight(p);
    unsigned limit = (unsigned)(density * 65536.0);
    for (int y = 0; y + 1 < h; y += 2)
        for (int x = 0; x + 1 < w; x += 2)
            if ((next_rand(&seed) & 0xffff) < limit)
                pixRasterop(p, x, y, 2, 2, PIX_SET, NULL, 0, 0);
}

/* Keep only the ink inside dot x dot cells, one every `step` pixels: the
 * strokes of a faded page thresholded into fragments. */
static PIX *sampled(PIX *p, int step, int dot)
{
    PIX *grid = pixCreateTemplate(p);
    int w = pixGetWidth(p), h = pixGetHeight(p);
    for (int y = 0; y < h; y += step)
        for (int x = 0; x < w; x += step)
            pixRasterop(grid, x, y, dot, dot, PIX_SET, NULL, 0, 0);
    PIX *out = pixAnd(NULL, p, grid);
    pixDestroy(&grid);
    return out;
}

static void disc(PIX *p, int cx, int cy, int r)
{
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                pixSetPixel(p, x, y, 1);
}

static void rect(PIX *p, int x, int y, int w, int h)
{
    pixRasterop(p, x, y, w, h, PIX_SET, NULL, 0, 0);
}

/* ---- running a page ------------------------------------------------------- */

typedef struct verdict {
    qr_analysis a;
    qr_correction c;
    qr_fault f[16];
    int n;
} verdict;

/* Analyse, correct (the result is dropped) and judge, as ingest does. */
static bool judge(PIX *p, double dpi, verdict *v, const char *what)
{
    memset(v, 0, sizeof *v);
    qr_err err = {0};
    if (qr_analyze(p, dpi, dpi, &P, &v->a, &err) != QR_OK) {
        CHECKF(false, "%s: analysis failed: %s", what, err.msg);
        return false;
    }
    PIX *out = NULL;
    if (qr_correct(p, &v->a, &P, &out, &v->c, &err) != QR_OK) {
        CHECKF(false, "%s: correction failed: %s", what, err.msg);
        return false;
    }
    pixDestroy(&out);
    v->n = qr_page_faults(&v->a, &v->c, &P, v->f, 16);
    printf("%-34s", what);
    for (int i = 0; i < v->n; i++)
        printf(" [%s %.4g/%.4g]", qr_fault_name(v->f[i].kind), v->f[i].value,
               v->f[i].threshold);
    printf("%s\n", v->n ? "" : " no fault");
    return true;
}

static const qr_fault *fault_of(const verdict *v, qr_fault_kind k)
{
    for (int i = 0; i < v->n; i++)
        if (v->f[i].kind == k)
            return &v->f[i];
    return NULL;
}

static bool has(const verdict *v, qr_fault_kind k) { return fault_of(v, k) != NULL; }

/* A fault records the measured value against the profile's threshold. */
static void check_recorded(const verdict *v, qr_fault_kind k, double value, double threshold)
{
    const qr_fault *f = fault_of(v, k);
    if (!f)
        return;
    CHECKF(fabs(f->value - value) < 1e-9 && fabs(f->threshold - threshold) < 1e-9,
           "%s records %.4g / %.4g, expected %.4g / %.4g", qr_fault_name(k), f->value,
           f->threshold, value, threshold);
}

/* ---- baseline --------------------------------------------------------------- */

static void test_clean(PIX *page)
{
    verdict v;
    if (judge(page, DPI, &v, "clean bitonal page"))
        CHECKF(v.n == 0, "clean bitonal page: %d faults, first %s", v.n,
               v.n ? qr_fault_name(v.f[0].kind) : "-");
    PIX *g = to_gray(page, 235, 30, 6);
    if (judge(g, DPI, &v, "clean gray page"))
        CHECKF(v.n == 0, "clean gray page: %d faults, first %s", v.n,
               v.n ? qr_fault_name(v.f[0].kind) : "-");
    pixDestroy(&g);
}

/* ---- streaks ---------------------------------------------------------------- */

/* A 2 px line darker than the paper by `factor` times the streak contrast,
 * over `cover` of the height. */
static void streak_case(PIX *page, double factor, double cover, bool want, const char *what)
{
    PIX *g = to_gray(page, 235, 30, 6);
    int dark = (int)lround(factor * P.streak_min_contrast);
    int x = W / 2 + 37, y0 = (int)((1.0 - cover) / 2 * H), y1 = y0 + (int)(cover * H);
    gray_line(g, x, 2, y0, y1, dark);
    verdict v;
    if (judge(g, DPI, &v, what)) {
        printf("  streaks %d length %.3f x %.3f contrast %.1f (line %d levels, min %.0f)\n",
               v.a.streaks, v.a.streak_length, v.a.streak_x, v.a.streak_contrast, dark,
               P.streak_min_contrast);
        CHECKF(has(&v, QR_FAULT_STREAKS) == want, "%s: streak fault %d, want %d (length %.3f, contrast %.1f)",
               what, has(&v, QR_FAULT_STREAKS), want, v.a.streak_length, v.a.streak_contrast);
        CHECKF((v.a.streaks > 0) == want, "%s: streaks %d", what, v.a.streaks);
        check_recorded(&v, QR_FAULT_STREAKS, v.a.streak_length, P.streak_min_length);
        if (want) {
            CHECKF(v.a.streak_length >= P.streak_min_length, "%s: length %.3f", what,
                   v.a.streak_length);
            CHECKF(fabs(v.a.streak_x - (x + 1.0) / W) < 0.01, "%s: streak at %.3f, drawn at %.3f",
                   what, v.a.streak_x, (x + 1.0) / W);
        }
        CHECKF(!has(&v, QR_FAULT_CROPPED) && !has(&v, QR_FAULT_TOO_DARK),
               "%s: a dirt line is not a cut or dark page", what);
    }
    pixDestroy(&g);
}

/* A dark 2 px rule that stops gap_mm short of both ends of the frame, on a
 * gray page whose top backing_mm is black scanner backing (a sheet fed
 * low). Dirt on the glass runs into both ends; a rule printed on the sheet
 * (a book's gutter, a form's border) stops with the sheet's margin. */
static void streak_end_case(PIX *page, double gap_mm, double backing_mm, bool want,
                            const char *what)
{
    PIX *g = to_gray(page, 235, 30, 6);
    int gap = (int)lround(gap_mm / 25.4 * DPI), back = (int)lround(backing_mm / 25.4 * DPI);
    if (back > 0)
        pixRasterop(g, 0, 0, W, back, PIX_CLR, NULL, 0, 0);
    int x = W / 2 + 37;
    gray_line(g, x, 2, back > gap ? back : gap, H - gap, 4 * (int)P.streak_min_contrast);
    verdict v;
    if (judge(g, DPI, &v, what)) {
        printf("  streaks %d length %.3f x %.3f\n", v.a.streaks, v.a.streak_length,
               v.a.streak_x);
        CHECKF(has(&v, QR_FAULT_STREAKS) == want, "%s: streak fault %d, want %d (length %.3f)",
               what, has(&v, QR_FAULT_STREAKS), want, v.a.streak_length);
    }
    pixDestroy(&g);
}

static void test_streaks(PIX *page)
{
    streak_end_case(page, 0.0, 0.0, true, "rule from end to end");
    streak_end_case(page, 0.5, 0.0, true, "rule 0.5 mm short of the ends");
    streak_end_case(page, 2.5, 0.0, false, "rule 2.5 mm short of the ends");
    streak_end_case(page, 6.0, 0.0, false, "rule 6 mm short of the ends");
    streak_end_case(page, 0.0, 2.5, true, "rule under 2.5 mm of black backing");
    streak_end_case(page, 6.0, 2.5, false, "rule 6 mm short, 2.5 mm backing");
    streak_case(page, 2.0, 1.0, true, "streak 2x contrast, full height");
    streak_case(page, 0.5, 1.0, false, "streak 0.5x contrast, full height");
    streak_case(page, 2.0, 0.5, false, "streak 2x contrast, half height");
    /* bitonal: a black line of 2 px from top to bottom */
    PIX *b = pixCopy(NULL, page);
    rect(b, W / 3, 0, 2, H);
    verdict v;
    if (judge(b, DPI, &v, "bitonal black line, full height")) {
        CHECKF(has(&v, QR_FAULT_STREAKS) && v.a.streak_length >= P.streak_min_length,
               "bitonal line: streaks %d length %.3f", v.a.streaks, v.a.streak_length);
        CHECK(!has(&v, QR_FAULT_CROPPED));
    }
    pixDestroy(&b);
    b = pixCopy(NULL, page);
    rect(b, W / 3, H / 4, 2, H / 2);
    if (judge(b, DPI, &v, "bitonal black line, half height"))
        CHECKF(!has(&v, QR_FAULT_STREAKS) && v.a.streak_length < P.streak_min_length,
               "bitonal half line: streaks %d length %.3f", v.a.streaks, v.a.streak_length);
    pixDestroy(&b);
    /* bitonal: a rule 5 mm short of both ends is printed, not dirt */
    b = pixCopy(NULL, page);
    rect(b, W / 3, 59, 2, H - 2 * 59);
    if (judge(b, DPI, &v, "bitonal rule 5 mm short of the ends"))
        CHECKF(!has(&v, QR_FAULT_STREAKS), "bitonal short rule: streaks %d length %.3f",
               v.a.streaks, v.a.streak_length);
    pixDestroy(&b);
}

/* ---- cropped ---------------------------------------------------------------- */

/* A sheet on black backing: text in its upper half, 2 mm of backing down
 * the sides, `top_mm` of backing above it, and the sheet shifted down by as
 * much (so that much of its bottom is outside the frame). No content
 * reaches an edge: only the backing shows that the sheet ran off the frame. */
static void off_frame_case(double top_mm, bool want, const char *what)
{
    PIX *b = text_block(170, 110, 10);
    PIX *p = page_with(b, px(20), px(top_mm + 20));
    rect(p, 0, 0, W, px(top_mm));
    rect(p, 0, 0, px(2), H);
    rect(p, W - px(2), 0, px(2), H);
    if (top_mm < 2.0)
        rect(p, 0, H - px(2), W, px(2));
    verdict v;
    if (judge(p, DPI, &v, what)) {
        printf("  backing mm t %.1f r %.1f b %.1f l %.1f\n", v.a.backing_mm[0],
               v.a.backing_mm[1], v.a.backing_mm[2], v.a.backing_mm[3]);
        CHECKF(has(&v, QR_FAULT_CROPPED) == want, "%s: cropped %d, want %d (top backing %.1f mm)",
               what, has(&v, QR_FAULT_CROPPED), want, v.a.backing_mm[0]);
        if (want)
            check_recorded(&v, QR_FAULT_CROPPED, v.a.backing_mm[0], P.crop_min_backing_mm);
    }
    pixDestroy(&p);
    pixDestroy(&b);
}

static void test_off_frame(void)
{
    off_frame_case(1.5, false, "sheet framed by backing");
    off_frame_case(0.6 * P.crop_min_backing_mm, false, "sheet 0.6x the limit lower");
    off_frame_case(2.0 * P.crop_min_backing_mm, true, "sheet 2x the limit lower");
    off_frame_case(60.0, true, "sheet 60 mm lower");
}

static const char *const SIDE[4] = {"top", "right", "bottom", "left"};

static void crop_case(PIX *p, bool want, int side, const char *what, verdict *out)
{
    verdict local, *vp = out ? out : &local;
    if (!judge(p, DPI, vp, what))
        return;
    const verdict v = *vp;
    printf("  margins mm t %.1f r %.1f b %.1f l %.1f, edge ink %.2f %.2f %.2f %.2f, short %d\n",
           v.a.margin_mm[0], v.a.margin_mm[1], v.a.margin_mm[2], v.a.margin_mm[3],
           v.a.edge_ink[0], v.a.edge_ink[1], v.a.edge_ink[2], v.a.edge_ink[3], v.a.short_scan);
    CHECKF(has(&v, QR_FAULT_CROPPED) == want, "%s: cropped %d, want %d (%s margin %.2f mm, min %.1f)",
           what, has(&v, QR_FAULT_CROPPED), want, SIDE[side], v.a.margin_mm[side],
           P.crop_min_margin_mm);
    if (want) {
        CHECKF(v.a.margin_mm[side] >= 0 && v.a.margin_mm[side] < P.crop_min_margin_mm,
               "%s: %s margin %.2f mm", what, SIDE[side], v.a.margin_mm[side]);
        check_recorded(&v, QR_FAULT_CROPPED, v.a.margin_mm[side], P.crop_min_margin_mm);
    } else {
        CHECKF(v.a.margin_mm[side] >= P.crop_min_margin_mm, "%s: %s margin %.2f mm", what,
               SIDE[side], v.a.margin_mm[side]);
    }
    CHECKF(!has(&v, QR_FAULT_STREAKS), "%s: no streak", what);
}

/* A sheet that sat low: text 200 mm tall whose foot is `foot_mm` above the
 * frame's bottom edge, under some 90 mm of empty head; turned by `turn`
 * quarter turns clockwise as delivered. `want`: cropped at frame edge
 * `edge` as the foot of the page. */
static void foot_case(double foot_mm, int turn, bool want, int edge, const char *what)
{
    PIX *b = text_block(180, 200, 10);
    PIX *up = page_with(b, px(15), H - pixGetHeight(b) - px(foot_mm));
    PIX *p = turn ? pixRotateOrth(up, turn) : pixClone(up);
    verdict v;
    if (judge(p, DPI, &v, what)) {
        printf("  margins mm t %.1f r %.1f b %.1f l %.1f, skew %.2f, orientation %d\n",
               v.a.margin_mm[0], v.a.margin_mm[1], v.a.margin_mm[2], v.a.margin_mm[3],
               v.a.skew_deg, v.a.orientation);
        CHECKF(v.a.orientation == 90 * turn, "%s: orientation %d", what, v.a.orientation);
        CHECKF(has(&v, QR_FAULT_CROPPED) == want, "%s: cropped %d, want %d", what,
               has(&v, QR_FAULT_CROPPED), want);
        const qr_fault *f = fault_of(&v, QR_FAULT_CROPPED);
        if (want && f) {
            char name[32];
            snprintf(name, sizeof name, "%s edge", SIDE[edge]);
            CHECKF(strstr(f->detail, "sat low") && strstr(f->detail, name), "%s: %s", what,
                   f->detail);
            /* the deskewed foot margin: the measured one, plus a little */
            CHECKF(f->value >= v.a.margin_mm[edge] && f->value < v.a.margin_mm[edge] + 0.5 &&
                       f->threshold == P.crop_foot_margin_mm,
                   "%s: records %.3f / %.1f (margin %.3f mm)", what, f->value, f->threshold,
                   v.a.margin_mm[edge]);
        }
        CHECKF(v.n == (want ? 1 : 0), "%s: %d faults, first %s", what, v.n,
               v.n ? qr_fault_name(v.f[0].kind) : "-");
    }
    pixDestroy(&p);
    pixDestroy(&up);
    pixDestroy(&b);
}

/* On both sides of crop_foot_margin_mm, upright and upside down; and text
 * pressed to the head of a page turned upside down is not its foot. */
static void test_foot(void)
{
    double low = 0.5 * P.crop_foot_margin_mm, clear = 1.5 * P.crop_foot_margin_mm;
    CHECK(low > P.crop_min_margin_mm);
    foot_case(low, 0, true, 2, "sat low, foot 0.5x the limit");
    foot_case(clear, 0, false, 2, "sat low, foot 1.5x the limit");
    foot_case(low, 2, true, 0, "sat low, foot 0.5x the limit, upside down");
    foot_case(clear, 2, false, 0, "sat low, foot 1.5x the limit, upside down");
    /* text 2 mm under the head, 90 mm of empty foot: turned upside down, the
     * frame's bottom edge is its head */
    PIX *b = text_block(180, 200, 10);
    PIX *up = page_with(b, px(15), px(low));
    PIX *p = pixRotateOrth(up, 2);
    verdict v;
    if (judge(p, DPI, &v, "text at the head, upside down")) {
        CHECKF(v.a.orientation == 180 && v.a.margin_mm[2] < P.crop_foot_margin_mm &&
                   v.a.margin_mm[0] >= P.crop_min_head_mm,
               "text at the head, upside down: orientation %d, margins t %.1f b %.1f",
               v.a.orientation, v.a.margin_mm[0], v.a.margin_mm[2]);
        CHECKF(v.n == 0, "text at the head, upside down: %d faults", v.n);
    }
    pixDestroy(&p);
    pixDestroy(&up);
    pixDestroy(&b);
}

static void test_cropped(PIX *page)
{
    verdict v;
    crop_case(page, false, 2, "15 mm margins", &v);
    for (int s = 0; s < 4; s++)
        CHECKF(v.a.margin_mm[s] >= 14.0 && v.a.margin_mm[s] <= 35.0,
               "15 mm margins: side %d measured %.2f", s, v.a.margin_mm[s]);

    /* A sheet fed off-centre: text runs 10 mm past the right edge, the left
     * margin is wider than crop_min_opposite_mm. */
    PIX *b = text_block(180, 267, 10);
    int left = px(P.crop_min_opposite_mm + 10);
    CHECK(left + pixGetWidth(b) >= W + px(5));
    PIX *p = page_with(b, left, px(15));
    crop_case(p, true, 1, "text cut at the right edge", NULL);
    pixDestroy(&p);
    pixDestroy(&b);

    /* The bottom margin at a quarter of the limit and at three times it; the
     * top margin wide, as on a sheet pulled down, but narrower than the head
     * of a sheet that sat low (test_foot). */
    b = text_block(180, 260, 10);
    int hb = pixGetHeight(b);
    p = page_with(b, px(15), H - hb - px(0.25 * P.crop_min_margin_mm));
    crop_case(p, true, 2, "bottom margin 0.25x limit", NULL);
    pixDestroy(&p);
    p = page_with(b, px(15), H - hb - px(3.0 * P.crop_min_margin_mm));
    crop_case(p, false, 2, "bottom margin 3x limit", &v);
    CHECKF(v.a.margin_mm[0] >= P.crop_min_opposite_mm && v.a.margin_mm[0] < P.crop_min_head_mm,
           "bottom margin 3x limit: top margin %.1f mm", v.a.margin_mm[0]);
    pixDestroy(&p);
    pixDestroy(&b);

    /* A scan stopped early: 20 % cut off the bottom of a normal page, so the
     * text runs into the bottom edge of a sheet shorter than A4. */
    BOX *box = boxCreate(0, 0, W, H * 8 / 10);
    PIX *s = pixClipRectangle(page, box, NULL);
    boxDestroy(&box);
    pixSetResolution(s, DPI, DPI);
    crop_case(s, true, 2, "bottom 20% not scanned", &v);
    CHECKF(v.a.short_scan, "A4 width, 80 %% of its height: short scan %d", v.a.short_scan);
    PIX *sg = to_gray(s, 235, 30, 6);
    crop_case(sg, true, 2, "gray, bottom 20% not scanned", NULL);
    pixDestroy(&sg);
    pixDestroy(&s);

    /* Stopped early below the text: no content reaches the bottom edge, but
     * the rest of the sheet, whatever it held, was not scanned. The same
     * text on a whole sheet is clean. */
    b = text_block(180, 120, 10);
    p = page_with(b, px(15), px(20));
    crop_case(p, false, 2, "text above a clear bottom, whole sheet", NULL);
    box = boxCreate(0, 0, W, H * 8 / 10);
    s = pixClipRectangle(p, box, NULL);
    boxDestroy(&box);
    pixSetResolution(s, DPI, DPI);
    if (judge(s, DPI, &v, "bottom 20% not scanned, below the text")) {
        printf("  bottom margin %.1f mm, sheet share %.3f\n", v.a.margin_mm[2], v.a.sheet_share);
        CHECKF(v.a.short_scan && has(&v, QR_FAULT_CROPPED) && v.a.margin_mm[2] > 10,
               "short scan below the text: cropped %d, short %d", has(&v, QR_FAULT_CROPPED),
               v.a.short_scan);
        check_recorded(&v, QR_FAULT_CROPPED, v.a.sheet_share, QR_SHORT_SCAN_SHARE);
        /* judged against A4, whose width it has, not Letter (85 %), whose
         * width is also within 3 % */
        CHECKF(fabs(v.a.sheet_share - 0.8) < 0.01, "sheet share %.3f, want 0.80",
               v.a.sheet_share);
    }
    pixDestroy(&s);
    /* 88.7 % of A4 is 94 % of Letter: short for an A4-wide scan, a whole page
     * for a Letter-wide one */
    box = boxCreate(0, 0, W, H * 887 / 1000);
    s = pixClipRectangle(p, box, NULL);
    boxDestroy(&box);
    pixSetResolution(s, DPI, DPI);
    if (judge(s, DPI, &v, "A4 width, 88.7% of its length"))
        CHECKF(v.a.short_scan && has(&v, QR_FAULT_CROPPED) && fabs(v.a.sheet_share - 0.887) < 0.01,
               "A4 at 88.7 %%: short %d, cropped %d, share %.3f", v.a.short_scan,
               has(&v, QR_FAULT_CROPPED), v.a.sheet_share);
    pixDestroy(&s);
    PIX *letter = pixCreate(px(215.9), H * 887 / 1000, 1);
    pixSetResolution(letter, DPI, DPI);
    pixRasterop(letter, 0, 0, W, H * 887 / 1000, PIX_SRC, p, 0, 0);
    if (judge(letter, DPI, &v, "Letter width, 94% of its length"))
        CHECKF(!v.a.short_scan && !has(&v, QR_FAULT_CROPPED), "Letter at 94 %%: short %d, share %.3f",
               v.a.short_scan, v.a.sheet_share);
    pixDestroy(&letter);
    pixDestroy(&p);
    pixDestroy(&b);
}

/* ---- exposure --------------------------------------------------------------- */

static void gray_exposure_case(PIX *page, int paper, int ink, qr_fault_kind kind, bool want,
                               const char *what)
{
    PIX *g = to_gray(page, paper, ink, 6);
    verdict v;
    if (judge(g, DPI, &v, what)) {
        printf("  paper %d ink %d -> paper_luma %d ink_luma %d (dark below %.0f, light above %.0f)\n",
               paper, ink, v.a.paper_luma, v.a.ink_luma, P.dark_paper_min, P.light_ink_max);
        CHECKF(has(&v, kind) == want, "%s: %s %d, want %d (paper_luma %d, ink_luma %d)", what,
               qr_fault_name(kind), has(&v, kind), want, v.a.paper_luma, v.a.ink_luma);
        if (kind == QR_FAULT_TOO_DARK) {
            CHECKF((v.a.paper_luma < P.dark_paper_min) == want, "%s: paper_luma %d vs %.0f",
                   what, v.a.paper_luma, P.dark_paper_min);
            check_recorded(&v, kind, v.a.paper_luma, P.dark_paper_min);
        } else {
            CHECKF((v.a.ink_luma > P.light_ink_max) == want, "%s: ink_luma %d vs %.0f", what,
                   v.a.ink_luma, P.light_ink_max);
            check_recorded(&v, kind, v.a.ink_luma, P.light_ink_max);
        }
        CHECKF(!v.a.blank && !has(&v, QR_FAULT_CROPPED), "%s: blank %d / cropped %d", what,
               v.a.blank, has(&v, QR_FAULT_CROPPED));
    }
    pixDestroy(&g);
}

static void test_gray_exposure(PIX *page)
{
    int dark = (int)lround(P.dark_paper_min), light = (int)lround(P.light_ink_max);
    gray_exposure_case(page, dark - 20, 20, QR_FAULT_TOO_DARK, true, "gray paper 20 below limit");
    gray_exposure_case(page, dark + 20, 20, QR_FAULT_TOO_DARK, false, "gray paper 20 above limit");
    gray_exposure_case(page, 240, light + 30, QR_FAULT_TOO_LIGHT, true, "gray ink 30 above limit");
    gray_exposure_case(page, 240, light - 30, QR_FAULT_TOO_LIGHT, false, "gray ink 30 below limit");
}

static void test_bitonal_exposure(PIX *page)
{
    verdict v;
    /* Speckle: the page's black share at 1.5x the limit (too dark by its
     * black share), at 0.5x (too dark as speckle: marks under
     * light_blob_min over 12 % or more of the page); and an empty sheet
     * 8 % speckled is not a dark one (0.2x: under the text page's own ink,
     * so it stands alone). */
    double base = 0;
    if (judge(page, DPI, &v, "bitonal text, no speckle"))
        base = v.a.ink_fraction;
    struct { double target; bool want; double thr; const char *what; } cases[] = {
        {fmin(0.9, 1.5 * P.dark_ink_max), true, P.dark_ink_max, "bitonal speckle 1.5x limit"},
        {0.5 * P.dark_ink_max, true, 0.12, "bitonal speckle 0.5x limit"},
        {0.2 * P.dark_ink_max, false, 0.12, "bitonal speckle 0.2x limit"}};
    for (size_t i = 0; i < 3; i++) {
        bool alone = cases[i].target <= base;
        double d = alone ? cases[i].target : (cases[i].target - base) / (1.0 - base);
        PIX *p = alone ? pixCreateTemplate(page) : pixCopy(NULL, page);
        speckle(p, d, 99);
        if (judge(p, DPI, &v, cases[i].what)) {
            printf("  black share %.3f (limit %.3f), %.1f px per mark\n", v.a.ink_fraction,
                   P.dark_ink_max, v.a.blob_px);
            CHECKF(has(&v, QR_FAULT_TOO_DARK) == cases[i].want,
                   "%s: too_dark %d, black share %.3f, limit %.3f", cases[i].what,
                   has(&v, QR_FAULT_TOO_DARK), v.a.ink_fraction, P.dark_ink_max);
            CHECKF((v.a.ink_fraction >= cases[i].thr) == cases[i].want,
                   "%s: black share %.3f", cases[i].what, v.a.ink_fraction);
            check_recorded(&v, QR_FAULT_TOO_DARK, v.a.ink_fraction, cases[i].thr);
            if (cases[i].want)
                CHECKF(!has(&v, QR_FAULT_CROPPED), "%s: speckle at the edges is no cut",
                       cases[i].what);
        }
        pixDestroy(&p);
    }
    /* Broken strokes: the text sampled to dots vs the text whole. */
    if (judge(page, DPI, &v, "bitonal strokes whole")) {
        printf("  blob %.1f px (limit %.1f)\n", v.a.blob_px, P.light_blob_min);
        CHECKF(!has(&v, QR_FAULT_TOO_LIGHT) && v.a.blob_px >= P.light_blob_min,
               "whole strokes: too_light %d, blob %.1f px", has(&v, QR_FAULT_TOO_LIGHT),
               v.a.blob_px);
    }
    PIX *dots = sampled(page, 10, 6);
    if (judge(dots, DPI, &v, "bitonal strokes broken to dots")) {
        printf("  blob %.1f px (limit %.1f)\n", v.a.blob_px, P.light_blob_min);
        CHECKF(has(&v, QR_FAULT_TOO_LIGHT) && v.a.blob_px >= 0 &&
                   v.a.blob_px < P.light_blob_min,
               "broken strokes: too_light %d, blob %.1f px, blank %d", has(&v, QR_FAULT_TOO_LIGHT),
               v.a.blob_px, v.a.blank);
        check_recorded(&v, QR_FAULT_TOO_LIGHT, v.a.blob_px, P.light_blob_min);
    }
    pixDestroy(&dots);
    /* Fainter still: single dots at the working resolution. The page must
     * not pass as clean, whichever cause it is given. */
    dots = sampled(page, 6, 2);
    if (judge(dots, DPI, &v, "bitonal strokes broken to specks")) {
        printf("  blob %.1f px, centre ink %.5f, blank %d\n", v.a.blob_px,
               v.a.centre_ink_fraction, v.a.blank);
        CHECKF(has(&v, QR_FAULT_TOO_LIGHT) || has(&v, QR_FAULT_BLANK),
               "strokes broken to specks pass as clean: blob %.1f px", v.a.blob_px);
    }
    pixDestroy(&dots);
    /* Salt noise of a clean scan (0.23 % of the pixels, single pixels, as in
     * the blank tests) is neither dark nor light. */
    PIX *salt = pixCopy(NULL, page);
    unsigned seed = 7;
    for (int i = 0; i < 20000; i++) {
        int x = (int)(next_rand(&seed) % W), y = (int)(next_rand(&seed) % H);
        pixSetPixel(salt, x, y, 1);
    }
    if (judge(salt, DPI, &v, "bitonal text with salt noise")) {
        printf("  blob %.1f px (limit %.1f), black share %.3f\n", v.a.blob_px, P.light_blob_min,
               v.a.ink_fraction);
        CHECKF(v.n == 0, "clean text with 0.23%% salt noise: %d faults (%s), blob %.1f px, "
               "black share %.3f", v.n, v.n ? qr_fault_name(v.f[0].kind) : "-", v.a.blob_px,
               v.a.ink_fraction);
    }
    pixDestroy(&salt);
}

/* ---- blank ------------------------------------------------------------------ */

static void blank_case(PIX *p, bool want, const char *what)
{
    verdict v;
    if (!judge(p, DPI, &v, what))
        return;
    printf("  centre ink %.5f (blank at or below %.5f)\n", v.a.centre_ink_fraction,
           P.blank_ink_max);
    CHECKF(v.a.blank == want && has(&v, QR_FAULT_BLANK) == want,
           "%s: blank %d fault %d, want %d (centre ink %.5f, limit %.5f)", what, v.a.blank,
           has(&v, QR_FAULT_BLANK), want, v.a.centre_ink_fraction, P.blank_ink_max);
    check_recorded(&v, QR_FAULT_BLANK, v.a.centre_ink_fraction, P.blank_ink_max);
    if (want)
        CHECKF(v.n == 1 + has(&v, QR_FAULT_LOW_DPI) + has(&v, QR_FAULT_STREAKS),
               "%s: a blank page has no other sheet fault (%d faults)", what, v.n);
}

/* Sheet furniture that is not content: two punch holes, a staple in the
 * corner, a shadow along the left edge and a page number at the foot. */
static void furnish(PIX *p)
{
    disc(p, px(12), H / 2 - px(40), px(3));
    disc(p, px(12), H / 2 + px(40), px(3));
    rect(p, px(8), px(6), px(12), px(1)); /* staple */
    rect(p, 0, 0, px(4), H);              /* edge shadow */
    L_BMF *bmf = bmfCreate(NULL, 10);
    l_int32 wt = 0;
    pixSetTextline(p, bmf, "- 17 -", 1, W / 2 - 40, H - px(12), &wt, NULL);
    bmfDestroy(&bmf);
}

static void test_blank(void)
{
    PIX *p = pixCreate(W, H, 1);
    pixSetResolution(p, DPI, DPI);
    furnish(p);
    blank_case(p, true, "blank: holes, staple, shadow, folio");
    PIX *g = to_gray(p, 240, 40, 8);
    blank_case(g, true, "gray blank with the same");
    pixDestroy(&g);

    /* light bleed-through: the text of the other side, 15 levels under paper */
    PIX *back = text_block(180, 267, 10);
    PIX *bt = page_with(back, px(15), px(15));
    g = to_gray(bt, 240, 225, 6);
    blank_case(g, true, "gray blank with bleed-through");
    pixDestroy(&g);
    pixDestroy(&bt);
    pixDestroy(&back);

    /* A near-blank page: three lines mid-page, with the same furniture. */
    PIX *lines = text_block(150, 12, 10);
    PIX *nb = page_with(lines, px(30), H / 2);
    furnish(nb);
    blank_case(nb, false, "three lines of text");
    g = to_gray(nb, 240, 40, 8);
    blank_case(g, false, "gray three lines of text");
    pixDestroy(&g);
    pixDestroy(&nb);
    pixDestroy(&lines);
    pixDestroy(&p);
}

/* ---- orientation, skew, resolution ----------------------------------------- */

static void test_orientation(PIX *page)
{
    PIX *t = pixRotateOrth(page, 2);
    verdict v;
    if (judge(t, DPI, &v, "turned 180")) {
        printf("  orientation %d confident %d conf %.1f ratio %.1f\n", v.a.orientation,
               v.a.orient_confident, v.a.orient_conf, v.a.orient_ratio);
        CHECKF(v.a.orient_confident && v.a.orientation == 180 && v.c.rotation == 180,
               "turned 180: orientation %d confident %d rotation %d (conf %.1f ratio %.1f)",
               v.a.orientation, v.a.orient_confident, v.c.rotation, v.a.orient_conf,
               v.a.orient_ratio);
        CHECKF(v.a.orient_conf >= P.orient_min_conf && v.a.orient_ratio >= P.orient_min_ratio,
               "turned 180: conf %.1f ratio %.1f", v.a.orient_conf, v.a.orient_ratio);
        CHECKF(!has(&v, QR_FAULT_ORIENTATION), "turned 180 with confidence: no fault");
    }
    pixDestroy(&t);

    /* Weak: two lines of text turned 180. Too little text to be sure, and
     * too little to be worth a fault: left as it is. */
    PIX *few = text_block(150, 10, 10);
    PIX *fp = page_with(few, px(30), px(100));
    t = pixRotateOrth(fp, 2);
    if (judge(t, DPI, &v, "two lines turned 180")) {
        printf("  orientation %d guess %d confident %d conf %.1f ratio %.1f\n", v.a.orientation,
               v.a.orient_guess, v.a.orient_confident, v.a.orient_conf, v.a.orient_ratio);
        CHECKF(!v.a.orient_confident && v.a.orientation == 0 && v.c.rotation == 0,
               "two lines turned 180: turned by %d (conf %.1f, at least %.1f to turn)",
               v.a.orientation, v.a.orient_conf, P.orient_min_conf);
        CHECKF(v.a.orient_conf < P.orient_fault_conf && !has(&v, QR_FAULT_ORIENTATION),
               "two lines turned 180: conf %.1f, fault %d", v.a.orient_conf,
               has(&v, QR_FAULT_ORIENTATION));
    }
    pixDestroy(&t);
    pixDestroy(&fp);
    pixDestroy(&few);

    /* Ambiguous but strong: the upper half of the sheet reads one way, the
     * lower half is turned by 90 degrees (a landscape table pasted in), and
     * the whole sheet is upside down. Both axes answer strongly, so the page
     * is not turned but flagged. */
    PIX *top = text_block(180, 130, 10);
    PIX *mixed = page_with(top, px(15), px(15));
    PIX *side = text_block(267 - 130 - 10, 180, 10);
    PIX *side90 = pixRotateOrth(side, 1);
    pixRasterop(mixed, px(15), px(15 + 130 + 10), pixGetWidth(side90), pixGetHeight(side90),
                PIX_PAINT, side90, 0, 0);
    t = pixRotateOrth(mixed, 2);
    if (judge(t, DPI, &v, "half turned by 90, upside down")) {
        printf("  orientation %d guess %d confident %d conf %.1f ratio %.1f (fault at %.1f)\n",
               v.a.orientation, v.a.orient_guess, v.a.orient_confident, v.a.orient_conf,
               v.a.orient_ratio, P.orient_fault_conf);
        CHECKF(!v.a.orient_confident && v.a.orientation == 0 && v.c.rotation == 0,
               "mixed directions turned by %d (conf %.1f ratio %.1f, needs %.1f)",
               v.a.orientation, v.a.orient_conf, v.a.orient_ratio, P.orient_min_ratio);
        CHECKF(has(&v, QR_FAULT_ORIENTATION) && v.a.orient_guess != 0 &&
                   v.a.orient_conf >= P.orient_fault_conf,
               "mixed directions: orientation fault %d, guess %d conf %.1f",
               has(&v, QR_FAULT_ORIENTATION), v.a.orient_guess, v.a.orient_conf);
        check_recorded(&v, QR_FAULT_ORIENTATION, v.a.orient_conf, P.orient_fault_conf);
    }
    pixDestroy(&t);
    pixDestroy(&mixed);
    pixDestroy(&side90);
    pixDestroy(&side);
    pixDestroy(&top);
}

static void skew_case(PIX *page, double skew, bool want, const char *what)
{
    PIX *s = pixRotate(page, (l_float32)(-skew * QR_DEG2RAD), L_ROTATE_SAMPLING, L_BRING_IN_WHITE,
                       0, 0);
    verdict v;
    if (judge(s, DPI, &v, what)) {
        printf("  skew %.2f measured %.3f (conf %.1f), too large %d\n", skew, v.a.skew_deg,
               v.a.skew_conf, v.c.skew_too_large);
        CHECKF(has(&v, QR_FAULT_SKEW) == want && v.c.skew_too_large == want,
               "%s: skew fault %d too large %d, measured %.3f (max %.1f)", what,
               has(&v, QR_FAULT_SKEW), v.c.skew_too_large, v.a.skew_deg, P.max_skew_deg);
        CHECKF(fabs(v.a.skew_deg - skew) < 0.3, "%s: measured %.3f", what, v.a.skew_deg);
        check_recorded(&v, QR_FAULT_SKEW, v.a.skew_deg, P.max_skew_deg);
        if (!want)
            CHECKF(fabs(v.c.skew_applied_deg - v.a.skew_deg) < 1e-9, "%s: deskewed", what);
        CHECKF(!has(&v, QR_FAULT_CROPPED), "%s: corners of a skewed sheet are no cut", what);
    }
    pixDestroy(&s);
}

static void test_skew_and_dpi(PIX *page)
{
    skew_case(page, 1.4 * P.max_skew_deg, true, "skew 1.4x limit");
    skew_case(page, -0.5 * P.max_skew_deg, false, "skew 0.5x limit");
    verdict v;
    double low = floor(P.min_dpi * 2.0 / 3.0);
    if (judge(page, low, &v, "tagged 2/3 of min dpi")) {
        CHECKF(has(&v, QR_FAULT_LOW_DPI) && v.a.low_dpi, "tagged %.0f dpi: low_dpi %d", low,
               v.a.low_dpi);
        check_recorded(&v, QR_FAULT_LOW_DPI, low, P.min_dpi);
    }
    if (judge(page, P.min_dpi, &v, "tagged min dpi"))
        CHECKF(!has(&v, QR_FAULT_LOW_DPI) && !v.a.low_dpi, "tagged %.0f dpi: low_dpi %d",
               P.min_dpi, v.a.low_dpi);
    if (judge(page, 0, &v, "no resolution tag"))
        CHECKF(!has(&v, QR_FAULT_LOW_DPI), "unknown resolution is not low");
}

/* ---- skew on speckle, faded writing ------------------------------------------ */

/* Single black pixels over a share `density` of the page: dark paper
 * thresholded by the scanner, pixel by pixel (not aligned to any reduction). */
static void pixel_speckle(PIX *p, double density, unsigned seed)
{
    int w = pixGetWidth(p), h = pixGetHeight(p);
    unsigned limit = (unsigned)(density * 65536.0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if ((next_rand(&seed) & 0xffff) < limit)
                pixSetPixel(p, x, y, 1);
}

/* A too-dark sheet still has its skew measured: the speckle closes up in the
 * reduced page (any black pixel of four makes a black one), so the angle is
 * read on a reduction that needs all four. */
static void test_speckled_skew(PIX *page)
{
    const double skew = 2.0;
    double dens[] = {0.12, 0.35};
    for (size_t i = 0; i < 2; i++) {
        PIX *s = pixRotate(page, (l_float32)(-skew * QR_DEG2RAD), L_ROTATE_SAMPLING,
                           L_BRING_IN_WHITE, 0, 0);
        pixel_speckle(s, dens[i], 31);
        char what[64];
        snprintf(what, sizeof what, "skew %.1f, speckle %.0f%%", skew, 100 * dens[i]);
        verdict v;
        if (judge(s, DPI, &v, what)) {
            printf("  measured %.3f (conf %.1f), black share %.3f\n", v.a.skew_deg, v.a.skew_conf,
                   v.a.ink_fraction);
            CHECKF(v.a.skew_found && fabs(v.a.skew_deg - skew) < 0.15,
                   "%s: found %d, measured %.3f", what, v.a.skew_found, v.a.skew_deg);
        }
        pixDestroy(&s);
    }
}

/* A black strip `mm` deep along two edges: the scanner backing beside a
 * sheet fed off-centre (`level` is black: a gray level, or 1 on 1 bpp). */
static void backing(PIX *g, double mm, int level)
{
    pixSetInRectArbitrary(g, &(BOX){W - px(mm), 0, px(mm), H, 0}, (l_uint32)level);
    pixSetInRectArbitrary(g, &(BOX){0, H - px(mm), W, px(mm), 0}, (l_uint32)level);
}

/* Print faded below a bitonal scanner's threshold leaves single pixels of
 * each stroke spread over the text block: not a blank sheet but a too light
 * one. The same number of pixels spread evenly (sensor noise) is blank.
 * Both again with fewer dots on 6 mm of black backing, whose strips are
 * marks of thousands of pixels: the page-wide mark size no longer tells
 * dots (seed 15: 71 px per mark), the centre's does. */
static void vanished_case(PIX *page, bool on_backing)
{
    PIX *dots = sampled(page, on_backing ? 16 : 8, 1);
    l_int32 n = 0;
    pixCountPixels(dots, &n, NULL);
    if (on_backing)
        backing(dots, 6, 1);
    verdict v;
    const char *what = on_backing ? "vanished strokes, black backing" : "vanished strokes";
    if (judge(dots, DPI, &v, what)) {
        printf("  %d dots: blank %d faded %d, %.2f px per mark, %.2f in the centre\n", n,
               v.a.blank, v.a.faded, v.a.blob_px, v.a.dot_px);
        CHECKF(!v.a.blank && v.a.faded && !has(&v, QR_FAULT_BLANK),
               "%s: blank %d faded %d", what, v.a.blank, v.a.faded);
        CHECKF(has(&v, QR_FAULT_TOO_LIGHT), "%s are too light", what);
        CHECKF(!on_backing || v.a.blob_px >= P.light_blob_min,
               "%s: the backing's marks should dominate the page-wide size (%.1f)", what,
               v.a.blob_px);
    }
    pixDestroy(&dots);
    PIX *noise = pixCreate(W, H, 1);
    pixSetResolution(noise, DPI, DPI);
    pixel_speckle(noise, (double)n / ((double)W * H), 7);
    if (on_backing)
        backing(noise, 6, 1);
    what = on_backing ? "even noise, black backing" : "even noise";
    if (judge(noise, DPI, &v, what)) {
        printf("  %s: blank %d faded %d\n", what, v.a.blank, v.a.faded);
        CHECKF(v.a.blank && !v.a.faded && has(&v, QR_FAULT_BLANK) &&
                   !has(&v, QR_FAULT_TOO_LIGHT),
               "%s on a blank sheet: blank %d faded %d", what, v.a.blank, v.a.faded);
    }
    pixDestroy(&noise);
}

static void test_vanished(PIX *page)
{
    vanished_case(page, false);
    vanished_case(page, true);
}

/* Faded writing is lighter than the ink threshold, so the page looked empty;
 * with a black backing strip the darkest "ink" was the strip. Such a page is
 * too light, not blank; show-through on an empty sheet stays blank. */

static void test_faded(PIX *page)
{
    PIX *g = to_gray(page, 250, 200, 3);
    backing(g, 3, 20);
    verdict v;
    if (judge(g, DPI, &v, "gray faded writing, black backing")) {
        printf("  blank %d faded %d ink_luma %d threshold %d\n", v.a.blank, v.a.faded,
               v.a.ink_luma, v.a.ink_threshold);
        CHECKF(!v.a.blank && !has(&v, QR_FAULT_BLANK), "faded writing called blank");
        CHECKF(has(&v, QR_FAULT_TOO_LIGHT) && v.a.ink_luma > P.light_ink_max,
               "faded writing: too_light %d, ink_luma %d", has(&v, QR_FAULT_TOO_LIGHT),
               v.a.ink_luma);
        CHECKF(v.a.skew_found && fabs(v.a.skew_deg) < 0.1, "faded writing: skew %d %.3f",
               v.a.skew_found, v.a.skew_deg);
    }
    pixDestroy(&g);
    /* 35 levels under the paper: no mark reaches 40 under it, but the
     * strokes are a gray film over the text block */
    g = to_gray(page, 250, 215, 3);
    if (judge(g, DPI, &v, "gray writing 35 under paper")) {
        printf("  blank %d faded %d, faint share %.4f\n", v.a.blank, v.a.faded, v.a.faint_share);
        CHECKF(!v.a.blank && v.a.faded && has(&v, QR_FAULT_TOO_LIGHT) &&
                   !has(&v, QR_FAULT_BLANK),
               "writing 35 under paper: blank %d faded %d", v.a.blank, v.a.faded);
        CHECKF(v.a.skew_found && fabs(v.a.skew_deg) < 0.1, "writing 35 under paper: skew %d %.3f",
               v.a.skew_found, v.a.skew_deg);
    }
    pixDestroy(&g);
    g = to_gray(page, 250, 225, 3);
    pixFlipLR(g, g);
    backing(g, 3, 20);
    if (judge(g, DPI, &v, "gray show-through, black backing")) {
        printf("  show-through: faint share %.4f\n", v.a.faint_share);
        CHECKF(v.a.blank && !v.a.faded && has(&v, QR_FAULT_BLANK),
               "show-through 25 under paper: blank %d faded %d", v.a.blank, v.a.faded);
    }
    pixDestroy(&g);
}

/* The local threshold of the faint-writing retry: a sheet photographed gray
 * (222) on white backing (250) with writing 37 levels under the sheet. The
 * global retry, 20 levels under the page's paper level (the backing), inks
 * the whole sheet, whose outline then gave the angle; the local one inks
 * the writing and leaves the sheet white. */
static void test_faint_local(PIX *text)
{
    PIX *g = pixCreate(W, H, 8);
    pixSetResolution(g, DPI, DPI);
    pixSetAllArbitrary(g, 250);
    BOX sheet = {W / 3, 0, W - W / 3, H, 0};
    pixSetInRectArbitrary(g, &sheet, 222);
    PIX *ink = pixClipRectangle(text, &sheet, NULL);
    PIX *mask = pixCreateTemplate(text);
    if (ink && mask)
        pixRasterop(mask, sheet.x, 0, sheet.w, sheet.h, PIX_SRC, ink, 0, 0);
    if (mask)
        pixPaintThroughMask(g, mask, 0, 0, 185);
    PIX *local = NULL;
    CHECK(qr_faint_local(g, DPI, &local) == QR_OK);
    PIX *global = pixThresholdToBinary(g, 250 - 20);
    CHECKF(local && global && mask, "faint local: no image");
    if (local && global && mask) {
        PIX *paper = pixInvert(NULL, mask); /* sheet without writing, and backing */
        pixSetInRectArbitrary(paper, &(BOX){0, 0, sheet.x, H, 0}, 0);
        l_int32 npaper = 0, nink = 0, lpaper = 0, link = 0, gpaper = 0;
        pixCountPixels(paper, &npaper, NULL);
        pixCountPixels(mask, &nink, NULL);
        PIX *t = pixAnd(NULL, local, paper);
        pixCountPixels(t, &lpaper, NULL);
        pixAnd(t, local, mask);
        pixCountPixels(t, &link, NULL);
        pixAnd(t, global, paper);
        pixCountPixels(t, &gpaper, NULL);
        pixDestroy(&t);
        pixDestroy(&paper);
        double lp = (double)lpaper / npaper, li = (double)link / nink;
        double gp = (double)gpaper / npaper;
        printf("faint writing on a gray sheet: local inks %.1f%% of the writing, %.3f%% of "
               "the sheet; global %.1f%% of the sheet\n", 100 * li, 100 * lp, 100 * gp);
        CHECKF(li > 0.9 && lp < 0.005, "local threshold: writing %.3f, sheet %.4f", li, lp);
        CHECKF(gp > 0.99, "global threshold should ink the sheet (%.3f)", gp);
    }
    pixDestroy(&local);
    pixDestroy(&global);
    pixDestroy(&mask);
    pixDestroy(&ink);
    pixDestroy(&g);
}

/* The sideways veto: lines read at least twice as surely as delivered as
 * turned upright (analyze.c, SIDEWAYS_VETO_RATIO); only an angle found as
 * delivered can veto. */
static void test_sideways_veto(void)
{
    qr_analysis unturned = {0}, turned = {0};
    unturned.skew_found = true;
    unturned.skew_conf = 10.0;
    turned.skew_conf = 5.0;
    CHECKF(qr_sideways_vetoed(&unturned, &turned), "lines 2.0 times surer as delivered");
    turned.skew_conf = 5.01;
    CHECKF(!qr_sideways_vetoed(&unturned, &turned), "lines 1.996 times surer as delivered");
    turned.skew_conf = 0.5;
    unturned.skew_conf = P.skew_min_conf * 0.9;
    unturned.skew_found = false;
    CHECKF(!qr_sideways_vetoed(&unturned, &turned), "no angle as delivered: no veto");
}

int main(void)
{
    qr_stages_global_init();
    qr_profile_default(&P);
    PIX *page = normal_page();
    test_clean(page);
    test_streaks(page);
    test_cropped(page);
    test_foot();
    test_off_frame();
    test_gray_exposure(page);
    test_bitonal_exposure(page);
    test_blank();
    test_orientation(page);
    test_skew_and_dpi(page);
    test_speckled_skew(page);
    test_faded(page);
    test_vanished(page);
    test_faint_local(page);
    test_sideways_veto();
    pixDestroy(&page);
    return qr_test_end();
}
