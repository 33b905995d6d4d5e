#!/usr/bin/python3
"""fault_table.py - fail every file system call of a small ingest, one at a
time, and check that nothing is lost, overwritten or left behind.

For each row (an operation on the output folder or on the delivery) and each
errno, a counting run first learns how many matching calls an ingest makes
(QR_FAIL_COUNT); then one run per N fails only the Nth of them (QR_FAIL_NTH),
each on a fresh ledger and output folder. Every N is run up to --bound, then
a stride that keeps about --extra more runs (the last N always included);
--full runs every N. The failures come from tests/fault/failshim.c (an
LD_PRELOAD library) and, for io_uring completions, which never pass through
libc, from the QUIRE_TEST_HOOKS hook in pipeline/io_uring.c; a build without
the hook says so and skips that row.

What must happen (the expected outcome of each kind of row):
  write side (output folder: open, write, fsync, rename, directory opens)
    ENOSPC / EIO   exit 3; a line of stderr names a path in the output folder
                   and the error; no file is called faulty; an archive_failed
                   event gives the reason; a plain rerun archives everything.
  read side (the delivery's page files: open, pread, io_uring completions)
    ENOSPC / EIO   exit 1; the file whose page could not be read is faulty
                   with a corrupt fault naming the page file and the error
                   (never a shorter file); every other file is archived; a
                   rerun with --retry archives everything.
  ledger (SQLite's own calls on the ledger, its journal, WAL and lock file)
    ENOSPC / EIO   exit 3 with a line of stderr naming the ledger, or SQLite
                   absorbed the failure and the run completed; nothing
                   archived is left unrecorded, no temporary is left (open
                   writes and a running batch are the next run's to recover);
                   a plain rerun archives everything. A message that names
                   the ledger but not the error is counted as a note.
  any row
    EINTR          a signal interrupted the call once: it is retried, the run
                   ends as if nothing happened (exit 0, everything archived).
                   Except SQLite's fsync of the ledger, which SQLite does not
                   retry: there EINTR is a ledger error like EIO.
  the XMP spool    its O_TMPFILE in the output folder falls back to
                   tmpfile(3): any failure there must leave a complete run.
After every run and every rerun: the invariants of invariants.py hold (every
recorded archive exists with its SHA-256, every PDF is recorded, nothing
archived twice, no temporary file, no open write, no running batch), and once
all is archived the archives are byte for byte those of a reference run that
had no failure (SOURCE_DATE_EPOCH makes them reproducible).

Prints the table (row x errno: calls, runs, runs that broke an expectation,
the sites failed) and every violation; exits 1 when there is any.
"""
import argparse
import errno as E
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import invariants  # noqa: E402

# name, failshim op, where its paths are (the output folder, the delivery or
# the ledger with its journal and lock file), QUIRE_IO, side
ROWS = [
    ("open", "open", "out", None, "write"),
    ("write", "write", "out", None, "write"),
    ("fsync", "fsync", "out", None, "write"),
    ("rename", "rename", "out", None, "write"),
    ("open_ro", "open_ro", "out", None, "write"),
    ("open_ro", "open_ro", "in", None, "read"),
    ("read", "read", "in", "pread", "read"),
    ("uring_cqe", "uring_cqe", "in", "io_uring", "read"),
    ("open", "open", "ledger", None, "ledger"),
    ("write", "write", "ledger", None, "ledger"),
    ("fsync", "fsync", "ledger", None, "ledger"),
    ("read", "read", "ledger", None, "ledger"),
]
ERRNOS = ["ENOSPC", "EIO", "EINTR"]
# Sites where a failure has a way around it, so the run must complete:
# the XMP spool is an O_TMPFILE in the output folder, else tmpfile(3).
FALLBACK = {"open(create/write) OUT": "the XMP spool falls back to tmpfile(3)"}
STRERROR = {n: os.strerror(getattr(E, n)) for n in ERRNOS}
# How SQLite words them (sqlite3_errmsg), besides strerror.
SQLITE_WORDS = {"ENOSPC": "database or disk is full", "EIO": "disk I/O error"}


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


# ---- the delivery ------------------------------------------------------------

def make_delivery(src, work, full):
    """A small folders delivery: A has two G4 pages, B one large JPEG
    (written past the PDF writer's buffer, between two flushes of it), C one
    G4 page. --full makes A long enough to fill the buffer mid-document and
    adds files, so that more calls interleave."""
    base = os.path.join(work, "base")
    sh("/usr/bin/python3", os.path.join(src, "tools/make_sample.py"), "--delivery",
       "--files", "8", "--pages-min", "2", "--pages-max", "4", "--seed", "7", "--out", base)
    pages = []
    for d in sorted(os.listdir(os.path.join(base, "scans"))):
        for n in sorted(os.listdir(os.path.join(base, "scans", d))):
            pages.append(os.path.join(base, "scans", d, n))
    g4 = [p for p in pages if p.endswith(".tif")]
    jpg = [p for p in pages if p.endswith(".jpg")]
    layout = {"A": g4[:2], "B": jpg[:1], "C": g4[2:3]}
    if full:
        layout.update({"A": g4[3:9], "D": jpg[1:3], "E": g4[9:12], "F": g4[12:13] + jpg[3:4]})
    dlv = os.path.join(work, "delivery")
    with open(os.path.join(dlv + ".csv"), "w") as m:
        m.write("file_id,expected_pages\n")
        for fid, files in layout.items():
            os.makedirs(os.path.join(dlv, fid))
            for i, p in enumerate(files, 1):
                shutil.copy(p, os.path.join(dlv, fid, "%04d%s" % (i, os.path.splitext(p)[1])))
            m.write("%s,%d\n" % (fid, len(files)))
    shutil.rmtree(base)
    return dlv, dlv + ".csv", sorted(layout)


# ---- one ingest ---------------------------------------------------------------

class Harness:
    def __init__(self, a):
        self.quire, self.shim, self.work = a.quire, a.shim, a.work
        self.dlv, self.manifest, self.ids = make_delivery(a.src, a.work, a.full)
        self.bound, self.extra, self.full = a.bound, a.extra, a.full
        self.runs = 0
        self.lock = threading.Lock()
        self.ref = None

    def ingest(self, run_dir, env_extra=None, preload=False, retry=False):
        out = os.path.join(run_dir, "OUTDIR")
        db = os.path.join(run_dir, "ledger.db")
        env = dict(os.environ)
        env.update(env_extra or {})
        if preload:
            env["LD_PRELOAD"] = self.shim
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        cmd = [self.quire, "ingest", "-m", self.manifest, "-o", out, "--ledger", db,
               "--jobs", "2", "-q"] + (["--retry"] if retry else []) + [self.dlv]
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, errors="replace")
        with self.lock:
            self.runs += 1
        return p.returncode, p.stderr, db, out

    def fresh(self, name):
        d = os.path.join(self.work, "runs", name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def reference(self):
        d = self.fresh("reference")
        rc, err, db, out = self.ingest(d)
        bad = invariants.check_all(db, out)
        if rc != 0 or bad or len(invariants.archives(out)) != len(self.ids):
            sys.exit("reference run failed: exit %d, %s\n%s" % (rc, bad, err))
        for pdf in sorted(os.listdir(out)):
            p = subprocess.run(["qpdf", "--check", os.path.join(out, pdf)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if p.returncode not in (0, 3):
                sys.exit("reference archive %s fails qpdf --check" % pdf)
        self.ref = invariants.archives(out)


# ---- checks -------------------------------------------------------------------

ledger_rows = invariants.query


def current_status(db):
    return dict(ledger_rows(db, "SELECT file_id, status FROM files WHERE current=1"))


def read_report(path):
    r = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            r[k] = v
    return r


def site_class(site, out, dlv):
    """'write temporary', 'fsync OUT', 'pread input page', ... for the table."""
    call, _, path = site.partition(" ")
    if "/ledger.db" in path:
        what = "ledger" + path.partition("/ledger.db")[2]
    elif path.startswith(dlv):
        what = "input page"
    elif path.rstrip("/") == out:
        what = "OUT"
    elif path.rstrip("/") == os.path.join(out, ".quire-tmp"):
        what = "OUT/.quire-tmp"
    elif "/.quire-tmp/" in path:
        what = "temporary"
    elif path.endswith(".pdf"):
        what = "archive"
    else:
        what = path
    return "%s %s" % (call, what)


class Row:
    def __init__(self, name, where, errno_name):
        self.name, self.where, self.errno = name, where, errno_name
        self.calls = self.runs = self.bad_runs = 0
        self.violations = []
        self.notes = []
        self.sites = {}
        self.skipped = None


def expect_complete(h, bad, rc, err, db, out, what):
    """The work is done: exit 0, every file archived, the reference's bytes."""
    if rc != 0:
        bad.append("%s: exit %d, want 0 (%s)" % (what, rc, err.strip()[-300:]))
    st = current_status(db)
    missing = [i for i in h.ids if st.get(i) != "archived"]
    if missing:
        bad.append("%s: not archived: %s" % (what, ", ".join(missing)))
    bad += ["%s: %s" % (what, v) for v in invariants.check_all(db, out)]
    bad += ["%s: %s" % (what, v) for v in
            invariants.compare_archives(invariants.archives(out), h.ref)]


def expect_write_error(h, bad, rc, err, db, out, errno_name):
    if rc != 3:
        bad.append("exit %d, want 3 (%s)" % (rc, err.strip()[-300:]))
    msg = STRERROR[errno_name]
    if not any(out in line and msg in line for line in err.splitlines()):
        bad.append("no stderr line names a path in %s and '%s': %s" %
                   (out, msg, err.strip()[-300:]))
    faulty = [f for f, s in current_status(db).items() if s != "archived"]
    if faulty:
        bad.append("write error called files faulty: " + ", ".join(faulty))
    ev = ledger_rows(db, "SELECT detail FROM events WHERE kind='archive_failed'")
    if rc == 3 and not any(msg in d for (d,) in ev):
        bad.append("no archive_failed event gives '%s'" % msg)
    bad += invariants.check_all(db, out)


def expect_ledger_error(h, notes, bad, rc, err, db, out, errno_name):
    """A call on the ledger failed: SQLite absorbed it (the run completes) or
    the run stops naming the ledger; what it could not record stays for the
    next run's recovery (open writes, a running batch), but no archive is left
    unrecorded and no temporary."""
    if rc == 0:
        expect_complete(h, bad, rc, err, db, out, "run")
        return None
    if rc != 3:
        bad.append("exit %d, want 3 or 0 (%s)" % (rc, err.strip()[-300:]))
    lines = [line for line in err.splitlines() if db in line]
    if not lines:
        bad.append("no stderr line names %s: %s" % (db, err.strip()[-300:]))
    words = (STRERROR[errno_name], SQLITE_WORDS.get(errno_name, "?"))
    if lines and not any(w in line for line in lines for w in words):
        notes.append("names the ledger, not the error: " + lines[-1].strip())
    faulty = [f for f, s in current_status(db).items() if s != "archived"]
    if faulty:
        bad.append("a ledger error called files faulty: " + ", ".join(faulty))
    bad += invariants.check_disk(db, out)
    bad += ["temporary left: " + p for p in invariants.temporaries(out)]


def expect_read_error(h, bad, rc, err, db, out, errno_name, site):
    path = site.partition(" ")[2]
    fid = os.path.basename(os.path.dirname(path))
    if rc != 1:
        bad.append("exit %d, want 1 (%s)" % (rc, err.strip()[-300:]))
    st = current_status(db)
    if st.get(fid) != "faulty":
        bad.append("%s (page %s unreadable) is %s, want faulty" %
                   (fid, os.path.basename(path), st.get(fid, "not recorded")))
    rel = os.path.join(fid, os.path.basename(path))
    faults = ledger_rows(db, "SELECT kind, detail FROM faults WHERE file_id=?", fid)
    if not any(k == "corrupt" and rel in d and STRERROR[errno_name] in d for k, d in faults):
        bad.append("no corrupt fault of %s names %s and '%s': %s" %
                   (fid, rel, STRERROR[errno_name], faults))
    others = [i for i in h.ids if i != fid and st.get(i) != "archived"]
    if others:
        bad.append("files not archived besides %s: %s" % (fid, ", ".join(others)))
    bad += invariants.check_all(db, out)
    got = invariants.archives(out)
    bad += invariants.compare_archives(got, {k: v for k, v in h.ref.items()
                                              if not k.startswith(fid + ".")})


def target(h, where, run_dir):
    """QR_FAIL_PATH of a row: what its paths contain."""
    return {"out": os.path.join(run_dir, "OUTDIR"), "in": h.dlv,
            "ledger": os.path.join(run_dir, "ledger.db")}[where]


def one_run(h, row, errno_name, n):
    """Fail call n; returns (violations, notes, the call failed)."""
    name, op, where, backend, side = row
    d = h.fresh("%s-%s-%s-%d" % (name, where, errno_name, n))
    out = os.path.join(d, "OUTDIR")
    report = os.path.join(d, "report")
    env = {"QR_FAIL_OP": op, "QR_FAIL_ERRNO": errno_name, "QR_FAIL_NTH": str(n),
           "QR_FAIL_REPORT": report, "QR_FAIL_PATH": target(h, where, d)}
    if backend:
        env["QUIRE_IO"] = backend
    rc, err, db, out = h.ingest(d, env, preload=op != "uring_cqe")
    rep = read_report(report)
    site = rep.get("site", "")
    bad, notes = [], []
    fired = rep.get("fired") == "1"
    if not fired:  # this run made fewer calls than the counting run
        notes.append("call %d never came (report: %s)" % (n, rep))
    sqlite_fsync = side == "ledger" and "sync " in site
    if (not fired or (errno_name == "EINTR" and not sqlite_fsync) or
            site_class(site, out, h.dlv) in FALLBACK):
        expect_complete(h, bad, rc, err, db, out, "run")
    elif side == "write":
        expect_write_error(h, bad, rc, err, db, out, errno_name)
    elif side == "ledger":
        expect_ledger_error(h, notes, bad, rc, err, db, out, errno_name)
    else:
        expect_read_error(h, bad, rc, err, db, out, errno_name, site)
    if rc != 0:
        rc2, err2, db, out = h.ingest(d, retry=side == "read")
        expect_complete(h, bad, rc2, err2, db, out, "rerun")
    if not bad:
        shutil.rmtree(d)
    cls = site_class(site, out, h.dlv) if fired else None
    return ["N=%d (%s): %s" % (n, site or "?", v) for v in bad], notes, cls


def count_calls(h, row):
    name, op, where, backend, side = row
    d = h.fresh("%s-%s-count" % (name, where))
    out = os.path.join(d, "OUTDIR")
    report = os.path.join(d, "report")
    env = {"QR_FAIL_OP": op, "QR_FAIL_COUNT": "1", "QR_FAIL_REPORT": report,
           "QR_FAIL_PATH": target(h, where, d)}
    if backend:
        env["QUIRE_IO"] = backend
    rc, err, db, out = h.ingest(d, env, preload=op != "uring_cqe")
    rep = read_report(report)
    shutil.rmtree(d)
    if op == "uring_cqe" and rc == 3 and "io_uring" in err:
        return None, "io_uring unavailable here: " + err.strip()[-200:]
    if "calls" not in rep:
        return None, ("this build has no QUIRE_TEST_HOOKS" if op == "uring_cqe"
                      else "the preload wrote no report")
    if rc != 0:
        return None, "counting run exited %d: %s" % (rc, err.strip()[-300:])
    return int(rep["calls"]), None


def which_n(calls, bound, extra, full, tail=3):
    """Every N up to bound, then about `extra` at a stride, and the last
    `tail` calls (the end of a run: the batch's end, the ledger's close)."""
    if full or calls <= bound + tail:
        return list(range(1, calls + 1))
    stride = max(1, math.ceil((calls - bound - tail) / extra))
    ns = set(range(1, bound + 1)) | set(range(bound + stride, calls + 1 - tail, stride))
    return sorted(ns | set(range(calls + 1 - tail, calls + 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quire", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--full", action="store_true", help="every N, a larger delivery")
    ap.add_argument("--bound", type=int, default=12, help="every N up to this one")
    ap.add_argument("--extra", type=int, default=6, help="runs beyond the bound (stride)")
    ap.add_argument("--ledger-bound", type=int, default=4,
                    help="every N up to this one on the ledger (SQLite makes hundreds of calls)")
    ap.add_argument("--rows", default="", help="comma-separated row names (default all)")
    ap.add_argument("--errnos", default=",".join(ERRNOS),
                    help="comma-separated errno names (default %(default)s)")
    ap.add_argument("--json", help="write the table here as JSON")
    ap.add_argument("--jobs", type=int, default=3,
                    help="runs at a time (an ingest this small waits on fsync more than CPU)")
    a = ap.parse_args()
    a.work = os.path.abspath(a.work)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    t0 = time.time()
    h = Harness(a)
    h.reference()
    rows = [r for r in ROWS if not a.rows or r[0] in a.rows.split(",")]
    table, tasks = [], []
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        counted = list(pool.map(lambda row: count_calls(h, row), rows))
        for row, (calls, why) in zip(rows, counted):
            for errno_name in a.errnos.split(","):
                r = Row(row[0], row[2], errno_name)
                table.append(r)
                if calls is None:
                    r.skipped = why
                    continue
                r.calls = calls
                bound = a.bound if row[2] != "ledger" else a.ledger_bound
                for n in which_n(calls, bound, a.extra, a.full):
                    tasks.append((r, pool.submit(one_run, h, row, errno_name, n)))
        for r, fut in tasks:
            bad, notes, cls = fut.result()
            r.runs += 1
            r.bad_runs += 1 if bad else 0
            r.violations += bad
            r.notes += notes
            if cls:
                r.sites[cls] = r.sites.get(cls, 0) + 1
    print_table(table, h, time.time() - t0, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump([{"op": r.name, "target": r.where, "errno": r.errno, "calls": r.calls,
                        "runs": r.runs, "bad_runs": r.bad_runs, "violations": r.violations,
                        "sites": r.sites, "notes": r.notes, "skipped": r.skipped} for r in table],
                      f, indent=1)
    return 1 if any(r.violations for r in table) else 0


def print_table(table, h, secs, a):
    print("fault table: %d files, %d pages; every N up to %s%s" %
          (len(h.ids), sum(len(os.listdir(os.path.join(h.dlv, i))) for i in h.ids),
           "the last" if a.full else "%d (ledger: %d)" % (a.bound, a.ledger_bound),
           "" if a.full else ", then about %d more at a stride, and the last 3" % a.extra))
    print("%-10s %-6s %-7s %6s %5s %10s  %s" %
          ("op", "on", "errno", "calls", "runs", "violations", "sites failed (runs)"))
    for r in table:
        if r.skipped:
            print("%-10s %-6s %-7s %6s %5s %10s  skipped: %s" %
                  (r.name, r.where, r.errno, "-", 0, "-", r.skipped))
            continue
        sites = ", ".join("%s (%d)" % kv for kv in sorted(r.sites.items()))
        print("%-10s %-6s %-7s %6d %5d %10d  %s" %
              (r.name, r.where, r.errno, r.calls, r.runs, r.bad_runs, sites))
    runs = sum(r.runs for r in table)
    viol = sum(r.bad_runs for r in table)
    notes = sum(len(r.notes) for r in table)
    print("total: %d injected runs (%d ingests in all), %d runs with a violation, %d notes, "
          "%.0f s" % (runs, h.runs, viol, notes, secs))
    seen = set()
    for r in table:
        for note in r.notes:
            key = note.split(": ", 2)[-1] if ": " in note else note
            key = key.split(":")[-1].strip()
            if key not in seen:
                seen.add(key)
                print("NOTE %s/%s/%s %s" % (r.name, r.where, r.errno, note))
    for r in table:
        for v in r.violations:
            print("VIOLATION %s/%s/%s %s" % (r.name, r.where, r.errno, v))


if __name__ == "__main__":
    sys.exit(main())
