/*
 * bench_qc_probe: every analysis metric of every page, one line per page, for
 * tuning and checking the quality detectors against a batch's truth.
 *
 * Usage: bench_qc_probe ROOT < LIST > metrics.tsv
 *
 * LIST holds one path per line, relative to ROOT (a page file, or a
 * multi-page TIFF: every page is analysed). Output columns are named in the
 * header line; `page` is 1-based within the file. Times are thread CPU time
 * in milliseconds, so other load on the machine does not inflate them.
 * Single-threaded: run several on disjoint lists to use more cores.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "qr_image.h"
#include "qr_stages.h"
#include "qr_util.h"

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void header(void)
{
    puts("path\tpage\tdepth\twidth\theight\tdpi\tskew_deg\tskew_conf\torient_checked\t"
         "orient_confident\torientation\torient_guess\torient_conf\torient_ratio\tup_conf\t"
         "left_conf\tink\tcentre_ink\tblank\tmean_luma\tpaper_luma\tink_luma\tcontrast\t"
         "ink_threshold\tstreaks\tstreak_length\tstreak_x\tstreak_contrast\tmargin_top\t"
         "margin_right\tmargin_bottom\tmargin_left\tedge_top\tedge_right\tedge_bottom\t"
         "edge_left\tbacking\tmargin_ink\tcoarse_up\tcoarse_left\tshort_scan\tblob\tseparator\tskew_measured\tstroke\tchar_h\tchar_across\tfaint\tfaded\tdot\tunturned_conf\tbacking_top\tbacking_right\tbacking_bottom\tbacking_left\tms_decode\tms_analyze");
}

static void row(const char *path, int page, const qr_analysis *a, double td, double ta)
{
    printf("%s\t%d\t%d\t%d\t%d\t%.1f\t%.3f\t%.2f\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t"
           "%.5f\t%.5f\t%d\t%.1f\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.1f\t",
           path, page, a->depth, a->width, a->height, a->dpi, a->skew_deg, a->skew_conf,
           a->orient_checked, a->orient_confident, a->orientation, a->orient_guess,
           a->orient_conf, a->orient_ratio, a->up_conf, a->left_conf, a->ink_fraction,
           a->centre_ink_fraction, a->blank, a->mean_luma, a->paper_luma, a->ink_luma,
           a->contrast, a->ink_threshold, a->streaks, a->streak_length, a->streak_x,
           a->streak_contrast);
    for (int s = 0; s < 4; s++)
        printf("%.2f\t", a->margin_mm[s]);
    for (int s = 0; s < 4; s++)
        printf("%.3f\t", a->edge_ink[s]);
    printf("%.4f\t%.5f\t%.2f\t%.2f\t%d\t%.2f\t%d\t%.3f\t%.3f\t%.1f\t%.1f\t%.5f\t%d\t%.2f\t%.2f\t", a->backing_fraction,
           a->margin_ink_fraction, a->coarse_up, a->coarse_left, a->short_scan, a->blob_px,
           a->separator, a->skew_measured_deg, a->stroke_px, a->char_px, a->char_across_px, a->faint_share,
           a->faded, a->dot_px, a->unturned_skew_conf);
    for (int s = 0; s < 4; s++)
        printf("%.1f\t", a->backing_mm[s]);
    printf("%.1f\t%.1f\n", td, ta);
}

static void probe(const char *root, const char *rel, const qr_profile *prof)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    uint8_t *data = NULL;
    size_t len = 0;
    qr_err err = {0};
    qr_limits lim;
    qr_limits_default(&lim);
    qr_image_reader *rd = NULL;
    if (qr_read_file(path, 1u << 30, &data, &len, &err) ||
        qr_image_open(data, len, &lim, &rd, &err)) {
        printf("%s\t0\tERROR\t%s\n", rel, err.msg);
        free(data);
        return;
    }
    for (int i = 0; i < qr_image_pages(rd); i++) {
        qr_page pg = {0};
        double t0 = cpu_ms();
        int rc = qr_image_decode(rd, i, &pg, &err);
        double t1 = cpu_ms();
        qr_analysis a;
        if (!rc)
            rc = qr_analyze(pg.pix, pg.xdpi, pg.ydpi, prof, &a, &err);
        double t2 = cpu_ms();
        if (rc)
            printf("%s\t%d\tERROR\t%s\n", rel, i + 1, err.msg);
        else
            row(rel, i + 1, &a, t1 - t0, t2 - t1);
        qr_page_clear(&pg);
    }
    qr_image_close(&rd);
    free(data);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_qc_probe ROOT < LIST\n");
        return 2;
    }
    qr_stages_global_init();
    qr_profile prof;
    qr_profile_default(&prof);
    header();
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = 0;
        if (line[0])
            probe(argv[1], line, &prof);
        fflush(stdout);
    }
    return 0;
}
