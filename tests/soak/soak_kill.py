#!/usr/bin/python3
"""soak_kill.py - kill -9 an ingest at random moments, over and over, until
it has been killed --kills times, then let it finish; compare with a run that
was never interrupted.

    tests/soak/soak_kill.py --quire build/quire [--kills 100] [--pages 2000]
                            [--seed S] [--work DIR] [--jobs 2] [--pool 40]
                            [--file-pages 10-30]

The seed (printed; random unless given) makes the delivery and the sequence
of kill delays, so a failure can be run again (the moments a delay lands on
still depend on the machine). Not run by ctest: 100 kills over 2,000 pages
take minutes; tests/e2e/test_soak_short.sh runs a short version.

Each kill comes after a delay drawn uniformly from [0, D], D sized from the
uninterrupted run so that the work is spread over the kills (each run gets
past its start and a file or so on average): they land in planning, in the
recovery of the previous kill, mid-page, mid-archive, between the rename and
the commit, at the batch's end. A delay that outlives
the run is not a kill (the run's exit code is checked instead) and is
counted apart. When the whole delivery is done before the kills are (a faster
machine than the delays were sized on), that round is compared with the
uninterrupted run and a fresh ledger and output folder start the next one, so
the number of kills asked for is always reached.

After every kill (tests/fault/invariants.py, plus what a kill may leave):
every archive the ledger records exists with its SHA-256; nothing is
archived twice; a PDF the ledger does not record, and every temporary, is
named by an open archive write (so the next run can prove it is quire's).
After the final run: the full invariants (no temporary, every PDF recorded,
no open write, no running batch), the same outcome per file as the
uninterrupted run, and every archive byte for byte the uninterrupted run's.
Prints the figures: kills, runs that finished, lost, duplicated, temporary
files left, archives that differ; exits 1 when any is not 0.
"""
import argparse
import os
import glob
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
import invariants  # noqa: E402


def make_delivery(a):
    """About a.pages pages in files of a.file_pages ("10-30") pages
    (make_sample renders a.pool distinct pages and cycles them)."""
    d = os.path.join(a.work, "delivery")
    lo, hi = (int(x) for x in a.file_pages.split("-"))
    files = max(1, round(a.pages * 2 / (lo + hi)))
    subprocess.run(["/usr/bin/python3", os.path.join(a.src, "tools/make_sample.py"), "--delivery",
                    "--files", str(files), "--pages-min", str(lo), "--pages-max", str(hi),
                    "--seed", str(a.seed), "--pool", str(a.pool), "--out", d], check=True, stdout=subprocess.DEVNULL)
    n = sum(len(fs) for _, _, fs in os.walk(os.path.join(d, "scans")))
    return d, files, n


class Soak:
    def __init__(self, a, delivery):
        self.a = a
        self.delivery = delivery

    def args(self, name):
        w = self.a.work
        return [self.a.quire, "ingest", "--manifest", os.path.join(self.delivery, "manifest.csv"),
                "--out", os.path.join(w, name), "--ledger", os.path.join(w, name + ".db"),
                "--jobs", str(self.a.jobs), "--quiet", os.path.join(self.delivery, "scans")]

    def run(self, name):
        t = time.time()
        p = subprocess.run(self.args(name), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, errors="replace")
        return p.returncode, p.stderr, time.time() - t

    def start(self, name, log):
        return subprocess.Popen(self.args(name), stdout=subprocess.DEVNULL, stderr=log)


def after_kill(db, out):
    """What a kill may leave is only what the next run can prove is quire's."""
    bad = []
    rows = invariants.archived_rows(db)
    recorded = {p for _, _, p, _ in rows}
    writes = invariants.query(db, "SELECT tmp_path, final_path, sha256 FROM archive_writes")
    tmp_named = {os.path.abspath(t) for t, _, _ in writes}
    final_named = {os.path.abspath(f): s for _, f, s in writes}
    for v in invariants.check_disk(db, out):
        if not v.startswith("PDF in the output folder that the ledger does not record"):
            bad.append(v)
    for n in sorted(os.listdir(out)) if os.path.isdir(out) else []:
        p = os.path.abspath(os.path.join(out, n))
        if n.endswith(".pdf") and p not in recorded and p not in final_named:
            bad.append("unrecorded PDF that no open write names: " + p)
    for t in invariants.temporaries(out):
        if os.path.abspath(t) not in tmp_named:
            bad.append("temporary that no open write names: " + t)
    return bad


def outcomes(db):
    return dict(invariants.query(db, "SELECT file_id, status FROM files WHERE current=1"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quire", required=True)
    ap.add_argument("--src", default=os.path.abspath(os.path.join(HERE, "..", "..")))
    ap.add_argument("--work", default="soak-work")
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pool", type=int, default=40, help="distinct pages rendered")
    ap.add_argument("--file-pages", default="10-30", help="pages per file, MIN-MAX")
    a = ap.parse_args()
    if a.seed is None:
        a.seed = random.SystemRandom().randrange(1, 1 << 31)
    a.work = os.path.abspath(a.work)
    a.quire = os.path.abspath(a.quire)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    print("soak: seed %d (rerun with --seed %d), %d kills, about %d pages" %
          (a.seed, a.seed, a.kills, a.pages), flush=True)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    delivery, files, pages = make_delivery(a)
    s = Soak(a, delivery)
    ref_rc, ref_err, t_ref = s.run("ref")
    _, _, t_noop = s.run("ref")  # everything up to date: the cost of starting
    ref = invariants.archives(os.path.join(a.work, "ref"))
    ref_outcomes = outcomes(os.path.join(a.work, "ref.db"))
    if ref_rc not in (0, 1) or invariants.check_all(os.path.join(a.work, "ref.db"),
                                                    os.path.join(a.work, "ref")):
        sys.exit("the uninterrupted run failed (exit %d): %s" % (ref_rc, ref_err[-500:]))
    # A run must live past its start and its first file to get anywhere, and
    # the kills together must outlast the work: the mean delay is the start,
    # one and a half files, and a share of the uninterrupted run.
    span = 2 * (t_noop + 1.5 * t_ref / files + 0.8 * t_ref / a.kills)
    print("delivery: %d files, %d pages; uninterrupted run %.1f s (exit %d, %d archives); "
          "kill delays uniform in [0, %.2f] s" % (files, pages, t_ref, ref_rc, len(ref), span),
          flush=True)
    rng = random.Random(a.seed)
    db, out = os.path.join(a.work, "soak.db"), os.path.join(a.work, "soak")
    kills = finished = attempts = progressed = recorded = 0
    rounds = 1
    violations = []
    t0 = time.time()
    with open(os.path.join(a.work, "soak.log"), "w") as log:
        while kills < a.kills and attempts < 10 * a.kills:
            attempts += 1
            delay = rng.uniform(0, span)
            p = s.start("soak", log)
            try:
                rc = p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                rc = p.wait()
            if rc == -signal.SIGKILL:
                kills += 1
                now = len(invariants.archived_rows(db))
                progressed += 1 if now > recorded else 0
                recorded = now
                bad = after_kill(db, out)
                violations += ["kill %d (after %.2f s): %s" % (kills, delay, v) for v in bad]
            else:
                finished += 1
                if rc not in (0, 1):
                    violations.append("run %d exited %d" % (attempts, rc))
                violations += ["run %d: %s" % (attempts, v) for v in invariants.check_all(db, out)]
                if kills < a.kills and outcomes(db) == ref_outcomes:
                    # The work is done before the kills are: check this round
                    # against the uninterrupted run, then start a fresh one.
                    diff = invariants.compare_archives(invariants.archives(out), ref)
                    violations += ["round %d: %s" % (rounds, v) for v in diff]
                    shutil.rmtree(out, ignore_errors=True)
                    for f in glob.glob(db + "*"):
                        os.remove(f)
                    rounds += 1
                    recorded = 0
    before_final = len(invariants.archived_rows(db))
    rc, err, _ = s.run("soak")
    got = invariants.archives(out)
    final = invariants.check_all(db, out)
    diff = invariants.compare_archives(got, ref)
    lost = [v for v in diff if "missing" in v]
    dup = [v for v in final if "twice" in v or "times" in v] + \
        [n for n in got if "@v" in n]
    temps = invariants.temporaries(out)
    differ = [v for v in diff if "differs" in v or "did not write" in v]
    if rc != ref_rc:
        violations.append("final run exited %d, the uninterrupted one %d: %s" %
                          (rc, ref_rc, err[-300:]))
    if outcomes(db) != ref_outcomes:
        violations.append("outcomes differ from the uninterrupted run's")
    violations += ["final: " + v for v in final + diff]
    print("kills: %d (of %d runs; %d finished before their kill) in %.0f s over %d round(s) "
          "of the whole delivery; %d kills came after the run recorded an archive, %d before "
          "(planning, recovery, first file); %d of %d files recorded before the final run" %
          (kills, attempts, finished, time.time() - t0, rounds, progressed, kills - progressed,
           before_final, files))
    print("final run: exit %d; %d archives, %d identical to the uninterrupted run's" %
          (rc, len(got), sum(1 for n in got if ref.get(n) == got[n])))
    print("lost: %d, duplicated: %d, temporary files left: %d, archives that differ: %d, "
          "invariant violations: %d" % (len(lost), len(dup), len(temps), len(differ),
                                        len(violations)))
    for v in violations[:50]:
        print("VIOLATION " + v)
    return 1 if violations or lost or dup or temps or differ or kills < a.kills else 0


if __name__ == "__main__":
    sys.exit(main())
