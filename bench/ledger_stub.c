/*
 * What the ledger costs an ingest: bench/run times the same ingest twice,
 * once with the real ledger and once with this build, quire_noledger, where
 * every per-file commit (outcome row, page rows, faults, event, rescan job:
 * one SQLite transaction each) is replaced by the outcome's validation alone.
 *
 * Why a linker wrap and not a stub library: qr_ledger_commit_file shares its
 * object file with qr_ledger_lookup, which ingest also calls, so a second
 * definition would collide. `-Wl,--wrap=qr_ledger_commit_file` sends every
 * call from the pipeline to __wrap_qr_ledger_commit_file below and leaves the
 * library untouched; the shipped quire is built without it. Opening the
 * ledger, the batch row, the manifest's inventory and the lookups stay real:
 * they are paid once per run or are reads, and the difference between the
 * two builds is the cost of the writes.
 */
#include <stdbool.h>
#include <string.h>

#include "qr_ledger.h"

int __wrap_qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err);

static bool is_hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* The same refusals as the real commit, so a broken outcome still fails. */
int __wrap_qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    (void)l;
    if (!o->file_id || !o->file_id[0] || !o->source_fingerprint || o->batch <= 0)
        return qr_err_set(err, QR_EINVAL, "outcome lacks file_id, batch or source fingerprint");
    if (o->archived && (!o->archive_path || !is_hex64(o->archive_sha256)))
        return qr_err_set(err, QR_EINVAL, "%s: an archived outcome needs the archive path "
                          "and its SHA-256", o->file_id);
    for (size_t i = 0; i < o->n_faults; i++)
        if ((unsigned)o->faults[i].kind >= QR_FAULT__COUNT)
            return qr_err_set(err, QR_EINVAL, "%s: unknown fault kind %d", o->file_id,
                              (int)o->faults[i].kind);
    return QR_OK;
}
