/*
 * verify_run.c: the whole of quire verify, in its order: the event chain
 * (verify.c), the rows the figures depend on (verify_rows.c), the archives
 * (verify_archive.c) and the seals (seal_check.c).
 *
 * Apart from verify.c, whose finding writer and chain walk every part
 * uses, so that the parts call verify.c, this file calls the parts, and no
 * file calls back into one that calls it. Runs on the thread that owns the
 * ledger handle.
 */
#include <string.h>

#include "verify_int.h"


int qr_verify_ledger(qr_ledger *l, const qr_verify_opts *o, qr_verify_sink sink, void *user,
                     qr_verify_summary *sum, qr_err *err)
{
    qr_verify_opts none = {0};
    if (!o)
        o = &none;
    memset(sum, 0, sizeof *sum);
    int rc = qr_verify_chain(l, sink, user, sum, err);
    if (rc == QR_OK)
        rc = qr_verify_rows(l, sink, user, sum, err);
    if (rc == QR_OK)
        rc = qr_verify_archives(l, o, sink, user, sum, err);
    if (rc == QR_OK)
        rc = qr_verify_seals(l, o, sink, user, sum, err);
    return rc;
}
