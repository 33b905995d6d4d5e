/* Names of the fault kinds (see qr_fault.h). */
#include "qr_fault.h"

#include <string.h>

static const char *const fault_names[QR_FAULT__COUNT] = {
    "blank",   "duplicate", "streaks",     "too_dark",      "too_light",
    "low_dpi", "skew",      "cropped",     "orientation",   "corrupt",
    "missing_pages", "extra_pages", "unexpected_file",
};

const char *qr_fault_name(qr_fault_kind k)
{
    return (unsigned)k < QR_FAULT__COUNT ? fault_names[k] : "unknown";
}

int qr_fault_from_name(const char *name)
{
    for (int i = 0; i < QR_FAULT__COUNT; i++)
        if (strcmp(fault_names[i], name) == 0)
            return i;
    return -1;
}
