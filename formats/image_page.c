/*
 * image_page.c: what every decoder shares — the size caps checked before a
 * page's pixels are allocated, the page's note (what was repaired or
 * assumed while reading it, kept for the archive's XMP), clearing a page,
 * and the scanner's make/model text as a tag gives it (printable ASCII,
 * trailing spaces dropped).
 *
 * Apart from image.c, which sniffs the format and calls the decoders, so
 * that image.c calls the decoders, the decoders call this, and no file calls
 * back into one that calls it. Pure functions of their arguments; any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "image_int.h"

int qr_check_caps(const qr_limits *lim, uint64_t w, uint64_t h, unsigned out_bits,
                  qr_err *err)
{
    if (w == 0 || h == 0)
        return qr_err_set(err, QR_ECORRUPT, "corrupt: page is %llu x %llu pixels",
                          (unsigned long long)w, (unsigned long long)h);
    if (w > INT32_MAX || h > INT32_MAX || w * h > lim->max_pixels)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: page is %llu x %llu = %llu pixels, above the cap of %llu",
                          (unsigned long long)w, (unsigned long long)h,
                          (unsigned long long)(w * h), (unsigned long long)lim->max_pixels);
    uint64_t row = (w * out_bits + 31) / 32 * 4; /* a PIX row, 32-bit aligned */
    uint64_t bytes;
    if (__builtin_mul_overflow(row, h, &bytes) || bytes > lim->max_page_bytes)
        return qr_err_set(err, QR_ELIMIT,
                          "limit: page needs %llu x %llu decoded bytes, above the cap of %llu",
                          (unsigned long long)row, (unsigned long long)h,
                          (unsigned long long)lim->max_page_bytes);
    return QR_OK;
}

void qr_page_note(qr_page *page, const char *fmt, ...)
{
    size_t n = strlen(page->note);
    if (n > 0 && n + 2 < sizeof page->note) {
        memcpy(page->note + n, "; ", 3);
        n += 2;
    }
    if (n + 1 >= sizeof page->note)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(page->note + n, sizeof page->note - n, fmt, ap);
    va_end(ap);
}

void qr_page_clear(qr_page *page)
{
    if (!page)
        return;
    if (page->pix) {
        PIX *p = page->pix;
        pixDestroy(&p);
    }
    free(page->pass_owned);
    memset(page, 0, sizeof *page);
    page->scan_time = -1;
    page->orientation = 1;
}

void qr_scanner_text(char out[QR_SCANNER_TEXT], const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && s[i] && k + 1 < QR_SCANNER_TEXT; i++)
        if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
            out[k++] = s[i];
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
}
