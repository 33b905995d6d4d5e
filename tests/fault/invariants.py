"""invariants.py - what must hold in an output folder and its ledger after any
ingest, however it ended (an injected error, kill -9, a clean finish).

Shared by the fault table (fault_table.py) and the kill soak
(tests/soak/soak_kill.sh) so that both judge by the same rules, the README's
"Never lost, never overwritten":
  - every archive the ledger records exists, with its recorded SHA-256;
  - every PDF in the output folder is an archive the ledger records;
  - no file is archived twice (two archived outcomes of one file, or two
    outcomes naming one path);
  - no temporary is left: nothing in OUT/.quire-tmp, no "*.tmp-*" beside the
    archives, no open archive_writes row (when the run was not killed);
  - no batch still says "running" (when no ingest is running).
Each check returns a list of violations, one short sentence each; empty
means the invariant holds.
"""
import hashlib
import os
import sqlite3


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def query(db, sql, *args):
    """Rows of a read-only query; none when there is no ledger, or only the
    start of one (a run that failed while creating it)."""
    if not os.path.exists(db):
        return []
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):
            return []
        raise
    finally:
        con.close()


def archived_rows(db):
    """(file_id, version, absolute archive path, sha256) of every archived outcome."""
    rows = query(db, "SELECT file_id, version, archive_path, archive_sha256 FROM files"
                     " WHERE status='archived' ORDER BY id")
    return [(f, v, os.path.abspath(p), s) for f, v, p, s in rows]


def temporaries(out):
    """Temporary files left in OUT: OUT/.quire-tmp/* and OUT/*.tmp-*."""
    left = []
    tmp = os.path.join(out, ".quire-tmp")
    if os.path.isdir(tmp):
        left += [os.path.join(tmp, n) for n in sorted(os.listdir(tmp))]
    if os.path.isdir(out):
        left += [os.path.join(out, n) for n in sorted(os.listdir(out))
                 if ".tmp-" in n and not n.endswith(".pdf")]
    return left


def check_disk(db, out):
    """The ledger and the output folder agree; no archive is recorded twice."""
    bad = []
    rows = archived_rows(db)
    paths, files = {}, {}
    for fid, ver, path, sha in rows:
        if path in paths:
            bad.append("%s recorded twice (%s and %s)" % (path, paths[path], fid))
        paths[path] = fid
        files.setdefault(fid, []).append(ver)
        if not os.path.exists(path):
            bad.append("recorded archive missing: " + path)
        elif _sha256(path) != sha:
            bad.append("recorded archive changed: " + path)
    for fid, vers in files.items():
        if len(vers) > 1:
            bad.append("%s archived %d times (versions %s)" %
                       (fid, len(vers), ",".join(map(str, vers))))
    if os.path.isdir(out):
        for n in sorted(os.listdir(out)):
            p = os.path.abspath(os.path.join(out, n))
            if n.endswith(".pdf") and p not in paths:
                bad.append("PDF in the output folder that the ledger does not record: " + p)
    return bad


def check_clean(db, out):
    """Nothing of an ended run is left half done: temporaries, open writes,
    running batches."""
    bad = ["temporary left: " + p for p in temporaries(out)]
    open_writes = query(db, "SELECT count(*) FROM archive_writes")
    running = query(db, "SELECT count(*) FROM batches WHERE status='running'")
    if open_writes and open_writes[0][0]:
        bad.append("%d archive_writes row(s) still open" % open_writes[0][0])
    if running and running[0][0]:
        bad.append("%d batch(es) still 'running'" % running[0][0])
    return bad


def check_all(db, out):
    return check_disk(db, out) + check_clean(db, out)


def archives(out):
    """{name: sha256} of the PDFs in OUT."""
    if not os.path.isdir(out):
        return {}
    return {n: _sha256(os.path.join(out, n)) for n in sorted(os.listdir(out))
            if n.endswith(".pdf")}


def compare_archives(got, want):
    """Violations when the archives differ from a reference run's, by name and bytes."""
    bad = []
    for n in sorted(set(want) | set(got)):
        if n not in got:
            bad.append("archive missing against the reference: " + n)
        elif n not in want:
            bad.append("archive the reference run did not write: " + n)
        elif got[n] != want[n]:
            bad.append("archive differs from the reference run's: " + n)
    return bad
