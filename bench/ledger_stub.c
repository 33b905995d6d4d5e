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
#include "qr_ledger.h"

int __wrap_qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err);

/* The same refusals as the real commit, so a broken outcome still fails. */
int __wrap_qr_ledger_commit_file(qr_ledger *l, const qr_ledger_outcome *o, qr_err *err)
{
    return qr_ledger_outcome_check(l, o, err);
}
