/*
 * Out of memory inside the analysis (qr_analyze) fails the page; it never
 * yields a page with fewer or other faults.
 *
 * Why this test: every measurement allocates (Leptonica images, boxes,
 * histograms, the stages' own arrays), and a measurement that shrugs off a
 * failed allocation leaves its fields at a default that reads as "no
 * fault": a page that should be refused would be archived. So each test
 * page is analysed once cleanly, counting the allocations made, and then
 * once for every N, with the Nth allocation failing. Each run must either
 * fail with QR_ENOMEM (and say what it was measuring) or succeed with
 * exactly the faults of the clean run.
 *
 * Where the failures come from: Leptonica's image buffers through
 * setPixMemoryManager, and the stages' own malloc/calloc/realloc through
 * the linker's --wrap, set on this test's executable only (tests/CMakeLists
 * .txt), so the library under test is the one that ships. Leptonica's small
 * structures (boxes, arrays) are allocated inside the shared library and
 * are not reached; nor are the allocations inside the few Leptonica calls
 * that mishandle a failure themselves (CRASHES below). With OOM_WHERE set
 * in the environment, a run that changed the faults prints the stack of
 * the failed allocation.
 *
 * The pages cover the analysis's branches: a bitonal page skewed, turned
 * upside down and fed on black backing; one lying sideways; a gray page
 * with faint writing and a streak; a bitonal page faded into dots; a dark
 * speckled one; and a large gray page reduced band by band, as ingest
 * does for pages too large to hold whole.
 */
#include <dlfcn.h>
#include <execinfo.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "qr_stages.h"
#include "qr_test.h"

#define DEG2RAD (3.14159265358979323846 / 180.0)
#define MAX_FAULTS 16

/* ---- allocation failure ------------------------------------------------ */

static bool armed;      /* count (and fail) only inside qr_analyze */
static long n_allocs;   /* allocations made since armed */
static long fail_at;    /* the allocation that fails (1-based); 0 = none */
static long n_fired;    /* failures injected */

static long n_spared;   /* failures not injected: inside a Leptonica function that
                           crashes when out of memory */

/* Leptonica functions that mishandle a failed allocation of their own, so
 * that no caller can tell: pixSauvolaBinarize writes into an image it did
 * not check for (a crash; pixScaleAreaMap2 did too, and stages/reduce.c no
 * longer calls it), while pixConnCompPixa (under pixConnComp and
 * pixSelectBySize) and pixSeedfillBinary (under pixExtractBorderConnComps)
 * carry on and return a result missing components. An allocation made
 * inside one of them is not failed; the runs are counted as spared. */
static const char *const CRASHES[] = {"pixSauvolaBinarize", "pixScaleAreaMap2",
                                      "pixConnCompPixa", "pixSeedfillBinary"};

static void *where[16];
static int n_where;

static bool inside_crashing_call(void)
{
    void *frames[64];
    int n = backtrace(frames, 64);
    for (int i = 0; i < n; i++) {
        Dl_info info;
        if (!dladdr(frames[i], &info) || !info.dli_sname)
            continue;
        for (size_t k = 0; k < sizeof CRASHES / sizeof CRASHES[0]; k++)
            if (strcmp(info.dli_sname, CRASHES[k]) == 0)
                return true;
    }
    return false;
}

static bool fail_now(void)
{
    if (!armed)
        return false;
    n_allocs++;
    if (fail_at <= 0 || n_allocs != fail_at)
        return false;
    armed = false; /* backtrace may allocate */
    bool spare = inside_crashing_call();
    armed = true;
    n_spared += spare;
    n_fired += !spare;
    if (!spare && getenv("OOM_WHERE"))
        n_where = backtrace(where, 16);
    return !spare;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

static void *pix_alloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

static void pix_free(void *p)
{
    free(p);
}

/* ---- the pages ----------------------------------------------------------- */

static PIX *turned(PIX *p, double deg)
{
    return pixRotate(p, (l_float32)(-deg * DEG2RAD), L_ROTATE_SAMPLING, L_BRING_IN_WHITE, 0, 0);
}

/* Skewed 14 deg (beyond correction), upside down, with black backing along
 * the left edge and a strip at the top. */
static PIX *page_skewed_backing(void)
{
    PIX *text = qr_test_text_page(1240, 1748, 16, 120);
    PIX *t = turned(text, 14.0);
    PIX *p = pixRotateOrth(t, 2);
    pixRasterop(p, 0, 0, 40, 1748, PIX_SET, NULL, 0, 0);
    pixRasterop(p, 0, 0, 600, 25, PIX_SET, NULL, 0, 0);
    pixDestroy(&text);
    pixDestroy(&t);
    return p;
}

/* Lying sideways (turned by 90 deg), a little skewed. */
static PIX *page_sideways(void)
{
    PIX *text = qr_test_text_page(1240, 1748, 16, 120);
    PIX *t = turned(text, -1.2);
    PIX *p = pixRotateOrth(t, 1);
    pixDestroy(&text);
    pixDestroy(&t);
    return p;
}

/* Gray: writing just below the paper, and a dark line down the whole page. */
static PIX *page_faint_streak(void)
{
    PIX *text = qr_test_text_page(1240, 1748, 16, 120);
    PIX *t = turned(text, 1.5);
    PIX *g = pixConvert1To8(NULL, t, 225, 200);
    pixRasterop(g, 700, 0, 3, 1748, PIX_CLR, NULL, 0, 0);
    pixDestroy(&text);
    pixDestroy(&t);
    return g;
}

/* Bitonal print faded into single dots, one every sixth pixel, on a small
 * text block (every dot is a mark, and Leptonica allocates an image for
 * each mark it selects). */
static PIX *page_dots(void)
{
    PIX *text = qr_test_text_page(1240, 1748, 16, 520);
    PIX *grid = pixCreateTemplate(text);
    for (int y = 0; y < 1748; y += 6)
        for (int x = 0; x < 1240; x += 6)
            pixRasterop(grid, x, y, 1, 1, PIX_SET, NULL, 0, 0);
    PIX *p = pixAnd(NULL, text, grid);
    pixDestroy(&grid);
    pixDestroy(&text);
    return p;
}

/* Dark paper thresholded by the scanner: text under dense speckle. */
static PIX *page_speckled(void)
{
    PIX *text = qr_test_text_page(874, 1240, 16, 90);
    PIX *p = turned(text, 2.0);
    unsigned s = 7;
    for (int y = 0; y + 1 < 1240; y += 2)
        for (int x = 0; x + 1 < 874; x += 2) {
            s = s * 1103515245u + 12345u;
            if (((s >> 16) & 0xffff) < (unsigned)(0.3 * 65536))
                pixRasterop(p, x, y, 2, 2, PIX_SET, NULL, 0, 0);
        }
    pixDestroy(&text);
    return p;
}

/* A gray page at 600 dpi as ingest reduces one too large to hold whole:
 * band by band, then the copy analysed at the copy's resolution. */
static PIX *banded_copy(double *rx, double *ry)
{
    PIX *text = qr_test_text_page(2480, 3496, 20, 240);
    PIX *t = turned(text, -3.0);
    PIX *g = pixConvert1To8(NULL, t, 230, 40);
    pixDestroy(&text);
    pixDestroy(&t);
    qr_profile prof;
    qr_profile_default(&prof);
    qr_band_reducer *r = NULL;
    qr_err e = {0};
    int w = pixGetWidth(g), h = pixGetHeight(g);
    CHECK(qr_band_reducer_new(w, h, 8, 600, 600, &prof, &r, &e) == QR_OK);
    for (int y = 0; r && y < h; y += 256) {
        BOX *b = boxCreate(0, y, w, h - y < 256 ? h - y : 256);
        PIX *band = pixClipRectangle(g, b, NULL);
        CHECK(qr_band_reducer_rows(r, band, &e) == QR_OK);
        pixDestroy(&band);
        boxDestroy(&b);
    }
    pixDestroy(&g);
    return r ? qr_band_reducer_finish(&r, rx, ry, &e) : NULL;
}

/* ---- one analysis and its faults ---------------------------------------- */

typedef struct outcome {
    int rc;
    qr_err err;
    qr_analysis an;
    int n;
    qr_fault f[MAX_FAULTS];
} outcome;

static void analyse(PIX *pix, double dpi, long fail, outcome *o)
{
    qr_profile prof;
    qr_profile_default(&prof);
    memset(o, 0, sizeof *o);
    fail_at = fail;
    n_allocs = 0;
    armed = true;
    o->rc = qr_analyze(pix, dpi, dpi, &prof, &o->an, &o->err);
    armed = false;
    if (o->rc != QR_OK)
        return;
    qr_correction cor = {0};
    qr_correct_plan(&o->an, &prof, &cor);
    o->n = qr_page_faults(&o->an, &cor, &prof, o->f, MAX_FAULTS);
}

static bool same_faults(const outcome *a, const outcome *b)
{
    if (a->n != b->n)
        return false;
    for (int i = 0; i < a->n; i++) {
        const qr_fault *x = &a->f[i], *y = &b->f[i];
        if (x->kind != y->kind || x->page != y->page || x->value != y->value ||
            x->threshold != y->threshold || strcmp(x->detail, y->detail) != 0)
            return false;
    }
    return true;
}

static void print_faults(const char *what, const outcome *o)
{
    printf("%s: %d fault(s)", what, o->n);
    for (int i = 0; i < o->n; i++)
        printf(" %s(%g)", qr_fault_name(o->f[i].kind), o->f[i].value);
    printf("\n");
}

static long total_runs, total_lost, total_changed;

/* Fail each allocation of the page's analysis in turn. */
static void fail_each(const char *what, PIX *pix, double dpi)
{
    CHECKF(pix != NULL, "%s: page made", what);
    if (!pix)
        return;
    outcome clean, run;
    analyse(pix, dpi, 0, &clean);
    long count = n_allocs;
    CHECKF(clean.rc == QR_OK, "%s: clean analysis: %s", what, clean.err.msg);
    print_faults(what, &clean);
    long lost = 0, changed = 0, failed = 0, spared = 0;
    for (long n = 1; n <= count; n++) {
        n_fired = n_spared = 0;
        analyse(pix, dpi, n, &run);
        CHECKF(n_fired + n_spared == 1, "%s: allocation %ld of %ld was made", what, n, count);
        spared += n_spared;
        if (run.rc == QR_ENOMEM) {
            failed++;
            CHECKF(strstr(run.err.msg, "out of memory") != NULL, "%s: N=%ld says: %s", what,
                   n, run.err.msg);
            continue;
        }
        CHECKF(run.rc == QR_OK, "%s: N=%ld: rc %d (%s)", what, n, run.rc, run.err.msg);
        if (!same_faults(&clean, &run)) {
            lost++;
            print_faults("  other faults", &run);
            if (getenv("OOM_WHERE"))
                backtrace_symbols_fd(where, n_where, 1);
        } else if (memcmp(&clean.an, &run.an, sizeof run.an) != 0) {
            changed++;
        }
    }
    printf("%s: %ld allocations (%ld spared: inside Leptonica calls that mishandle it); %ld runs "
           "failed, %ld succeeded with other faults, %ld with the same faults but other "
           "measurements\n", what, count, spared, failed, lost, changed);
    CHECKF(lost == 0, "%s: %ld of %ld runs succeeded with other faults", what, lost, count);
    total_runs += count;
    total_lost += lost;
    total_changed += changed;
}

static void run_page(const char *what, PIX *pix, double dpi)
{
    fail_each(what, pix, dpi);
    pixDestroy(&pix);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    qr_stages_global_init();
    setPixMemoryManager(pix_alloc, pix_free);
    run_page("skewed, upside down, on backing", page_skewed_backing(), 300);
    run_page("sideways", page_sideways(), 300);
    run_page("gray, faint, streak", page_faint_streak(), 300);
    run_page("faded into dots", page_dots(), 300);
    run_page("speckled", page_speckled(), 300);
    double rx = 0, ry = 0;
    PIX *copy = banded_copy(&rx, &ry);
    CHECK(rx == ry);
    run_page("banded gray copy", copy, rx);
    printf("all pages: %ld runs, %ld succeeded with other faults, %ld with other "
           "measurements\n", total_runs, total_lost, total_changed);
    return qr_test_end();
}
