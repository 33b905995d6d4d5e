/*
 * CIELab TIFF pages (photometric 8, and ICCLab, 9) through Little CMS.
 *
 * libtiff's RGBA interface turns Lab into RGB with a fixed D65 display and
 * no chromatic adaptation, so a white page (L* 100, a* 0, b* 0) came out as
 * RGB (255, 252, 222). Lab is relative to a white point: the file's
 * WhitePoint tag, else D50, the white of the ICC connection space that
 * Photoshop and Pillow write Lab in. lcms2 converts from that white to sRGB
 * (relative colorimetric, so the file's white is the page's white), a row
 * at a time straight into the PIX row, within tiff_plane.c's reader (strips,
 * tiles, bands and the caps as for any page).
 *
 * Samples: CIELab stores a* and b* signed, ICCLab unsigned with an offset
 * of 128 (32768 at 16 bits), which is lcms2's own Lab encoding: signed
 * samples are flipped to it in place (xor of the sign bit).
 */
#include <string.h>

#include <lcms2.h>

#include "tiff_int.h"

bool qr_tiff_is_lab(const qr_tiff_info *ti)
{
    bool photo = ti->photometric == PHOTOMETRIC_CIELAB || ti->photometric == PHOTOMETRIC_ICCLAB;
    return photo && ti->spp == 3 && (ti->bps == 8 || ti->bps == 16) && ti->extra_count == 0 &&
           ti->planar == PLANARCONFIG_CONTIG && ti->compression != COMPRESSION_OJPEG;
}

/* The file's white (chromaticity x, y), else D50. */
static cmsCIExyY white_point(TIFF *tif)
{
    float *wp = NULL;
    cmsCIExyY w = *cmsD50_xyY();
    if (TIFFGetField(tif, TIFFTAG_WHITEPOINT, &wp) && wp && wp[0] > 0 && wp[0] < 1 &&
        wp[1] > 0 && wp[1] < 1) {
        w.x = wp[0];
        w.y = wp[1];
        w.Y = 1.0;
    }
    return w;
}

/* Leptonica's 32 bpp word (0xRRGGBBxx) in memory order. */
static cmsUInt32Number pix_format(void)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return TYPE_RGBA_8;
#else
    return TYPE_ABGR_8;
#endif
}

void *qr_tiff_lab_new(TIFF *tif, const qr_tiff_info *ti, qr_err *err)
{
    cmsCIExyY w = white_point(tif);
    cmsHPROFILE lab = cmsCreateLab4Profile(&w), srgb = cmsCreate_sRGBProfile();
    cmsHTRANSFORM xf = NULL;
    if (lab && srgb)
        xf = cmsCreateTransform(lab, ti->bps == 8 ? TYPE_Lab_8 : TYPE_Lab_16, srgb, pix_format(),
                                INTENT_RELATIVE_COLORIMETRIC, cmsFLAGS_NOCACHE);
    if (lab)
        cmsCloseProfile(lab);
    if (srgb)
        cmsCloseProfile(srgb);
    if (!xf)
        qr_err_set(err, QR_ENOMEM, "cannot set up the CIELab to sRGB conversion");
    return xf;
}

void qr_tiff_lab_free(void *xf)
{
    if (xf)
        cmsDeleteTransform(xf);
}

/* Signed a* and b* to lcms2's offset encoding, in place. */
static void unsign(const qr_tiff_info *ti, uint8_t *row)
{
    for (uint32_t x = 0; x < ti->w; x++) {
        if (ti->bps == 8) {
            row[3 * x + 1] ^= 0x80;
            row[3 * x + 2] ^= 0x80;
            continue;
        }
        uint16_t ab[2];
        memcpy(ab, row + 6 * (size_t)x + 2, sizeof ab);
        ab[0] ^= 0x8000;
        ab[1] ^= 0x8000;
        memcpy(row + 6 * (size_t)x + 2, ab, sizeof ab);
    }
}

void qr_tiff_lab_row(void *xf, const qr_tiff_info *ti, uint8_t *row, uint32_t *line)
{
    if (ti->photometric == PHOTOMETRIC_CIELAB)
        unsign(ti, row);
    cmsDoTransform(xf, row, line, ti->w);
}
