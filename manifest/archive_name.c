/*
 * Archive names: the one place that turns a file id and a version into the
 * name of its archive in the output folder.
 *
 * Why a mapping at all: a manifest's file id is free text, and the plain
 * "<id>.pdf" / "<id>.v2.pdf" scheme was not one-to-one: file `A.v2` and
 * version 2 of file `A` had the same archive, and the rescan overwrote the
 * other file's archive. The mapping here is injective by construction:
 *
 *   - every byte that is unsafe in a file name on the file systems an
 *     archive folder lives on (ext4, NFS, SMB/NTFS shares) is written as
 *     %XX: control characters, / \ : * ? " < > |, and also % itself and @;
 *   - a leading '.' (hidden file) or '-' (read as an option by tools) and a
 *     trailing '.' or ' ' (dropped by Windows) are escaped the same way, as
 *     is the first letter of a Windows device name (CON, nul.txt, COM1, ...);
 *   - version 1 is "<name>.pdf", version N "<name>@vN.pdf": '@' never occurs
 *     in an escaped name, so no id can produce another id's version;
 *   - a name that would exceed 200 bytes keeps its first bytes (cut on a
 *     character boundary, never inside an escape) and ends in "%~" plus 16
 *     hex digits of the id's SHA-256: '%' followed by '~' is not an escape,
 *     so a shortened name cannot equal a plain one, and the limit keeps
 *     every name under the 255 bytes file systems allow, version included.
 *
 * Ids that are plain letters, digits, '-', '_' and '.' (the common case,
 * "PEN-1983-71522") keep their own name. Whatever the mapping, the writer
 * never replaces an existing file (qr_pdf_publish): an id pair that only a
 * case-insensitive file system confuses fails loudly, naming the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "qr_manifest.h"

#define NAME_MAX_BYTES 200 /* escaped id; the suffix "@v<int>.pdf" adds <= 16 */
#define NAME_CUT_BYTES 180 /* kept of an over-long name before "%~<hash>" */

static bool unsafe_byte(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("/\\:*?\"<>|%@", c) != NULL;
}

/* CON, PRN, AUX, NUL, COM0-9, LPT0-9: reserved as a stem on Windows, in any
 * case, with or without an extension. */
static bool device_stem(const char *id)
{
    static const char *const three[] = {"CON", "PRN", "AUX", "NUL"};
    size_t stem = strcspn(id, ".");
    for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
        if (stem == 3 && strncasecmp(id, three[i], 3) == 0)
            return true;
    return stem == 4 && (strncasecmp(id, "COM", 3) == 0 || strncasecmp(id, "LPT", 3) == 0) &&
           id[3] >= '0' && id[3] <= '9';
}

static bool escape_at(const char *id, size_t i, size_t n)
{
    unsigned char c = (unsigned char)id[i];
    if (unsafe_byte(c))
        return true;
    if (i == 0 && (c == '.' || c == '-' || device_stem(id)))
        return true;
    return i + 1 == n && (c == '.' || c == ' ');
}

/* The escaped id, malloc'ed; NULL when out of memory. */
static char *escape_id(const char *id)
{
    size_t n = strlen(id), len = 0;
    char *out = qr_malloc_array(n + 1, 3);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (escape_at(id, i, n))
            len += (size_t)snprintf(out + len, 4, "%%%02X", (unsigned char)id[i]);
        else
            out[len++] = id[i];
    }
    out[len] = '\0';
    return out;
}

/* Where to cut an escaped name to keep at most max bytes: never inside an
 * escape, never inside a UTF-8 sequence. */
static size_t cut_point(const char *s, size_t max)
{
    size_t pos = max;
    while (pos > 0 && (((unsigned char)s[pos] & 0xC0) == 0x80 || s[pos - 1] == '%' ||
                       (pos > 1 && s[pos - 2] == '%')))
        pos--;
    return pos;
}

int qr_manifest_archive_name(const char *file_id, int version, char *out, size_t cap)
{
    if (!file_id || !*file_id || version < 1)
        return -1;
    char *name = escape_id(file_id);
    if (!name)
        return -1;
    size_t len = strlen(name);
    char tail[24] = "";
    if (len > NAME_MAX_BYTES) {
        uint8_t d[QR_SHA256_LEN];
        char hex[QR_SHA256_HEX];
        qr_sha256_once(file_id, strlen(file_id), d);
        qr_hex(d, 8, hex);
        snprintf(tail, sizeof tail, "%%~%.16s", hex);
        len = cut_point(name, NAME_CUT_BYTES);
    }
    int w = version == 1 ? snprintf(out, cap, "%.*s%s.pdf", (int)len, name, tail)
                         : snprintf(out, cap, "%.*s%s@v%d.pdf", (int)len, name, tail, version);
    free(name);
    return w < 0 || (size_t)w >= cap ? -1 : w;
}
