#!/usr/bin/python3
"""property_ledger.py - a property test of quire's ledger: "never loses, never lies".

Random sequences of operations over small generated deliveries whose file ids
are hostile (look-alike temporaries, A / A.v2 / A.v3, spaces, unicode, %, @,
~, a leading dot, trailing dots and spaces, 240+ byte names, Windows device
names, ids differing only in case or in Unicode normalisation), with the
invariants below checked after every step:

  1 every archive the ledger names (each archived outcome, every version)
    exists and has its recorded SHA-256;
  2 every *.pdf in the output folder is known to the ledger: an archived
    outcome's archive_path, or the final_path of an archive_writes row (a
    write in flight) whose sha256 matches, when that table exists;
  3 every open fault (an unaccepted fault of a file whose latest outcome is
    faulty, and that no accept row covers; unexpected_file aside) has a rescan
    job that is open or delivered,
    and no outcome is recorded faulty without an unaccepted fault saying why;
  4 every event matches a real state change: archived/faulty events and
    outcome rows pair up one to one; accept events and accepts rows pair up;
    rescan_submitted/closed/delivered name a job of that file;
    rescan_delivered only when the sources differ from the file's previous
    outcome (source_fingerprint); the hash chain is intact (recomputed as
    ledger/events.c does);
  5 exit codes tell the truth: ingest exits 0 only when every file of its
    manifest is archived afterwards; refused commands (exit 2) change
    nothing; a batch killed by kill -9 says "interrupted", not "running",
    after the next ingest;
  6 every *.pdf in the output folder passes qpdf --check (exit 0).
Also: after an ingest, each file id of its manifest is in the ledger's
inventory byte for byte (an id is not silently altered).

Operations: a fresh delivery (folders, zip or tar layout, faults injected: a
blank page, a truncated page, a missing page), a plain rerun of an earlier
delivery, --retry, quire accept of a random open fault, wrong accepts and
rescan submits (page beyond the file, a kind the file never had, an unknown
file: exit 2, nothing changed), quire rescan submit on an archived file, a
partial rescan delivery (only the job's pages, named by page number), a whole
redelivery of a faulty file, and kill -9 of an ingest at a random moment.

Pages are real scans rendered once by tools/make_sample.py (bitonal G4 TIFFs,
cached under --pool-cache) and copied; each copy has a fresh mtime, so each
delivery has its own source fingerprint.

Usage: property_ledger.py --quire BIN --src SRC --work DIR --pool-cache DIR
                          [--seed N] [--steps N] [--keep-going]
Exit 0 when no invariant broke. On failure it prints the seed, the step, the
operations so far and a one-line reproducer, and keeps the work folder.
"""
import argparse
import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
import zipfile

POOL_FORMAT = 3
ACCEPTABLE = ["blank", "duplicate", "streaks", "too_dark", "too_light", "low_dpi", "skew",
              "cropped", "orientation", "missing_pages", "extra_pages"]

# Hostile file ids. Each is used by a fresh delivery before any ordinary id.
HOSTILE = [
    "CASE.tmp-2024",            # looks like a writer's temporary "<name>.tmp-<pid>-<n>"
    "scan.tmp-31337-0",
    "A", "A.v2", "A.v3",        # A's version 2 archive is A.v2.pdf
    "with space", "two  spaces", "trail space ", "trail dot.", "trail dots..",
    "Łódź-№7", "日本語ファイル", "\u00e9cole", "e\u0301cole",  # NFC and NFD
    "\U0001F4C1-box",
    "100%-done", "%2e%2e", "user@host", "~tilde", "~",
    ".hidden", "..dots",
    "L" * 240, "\u00c4" * 122 + "x", "M" * 250,   # 240, 245 and 250 bytes
    "CON", "nul.txt", "COM1", "aux",
    "Mixed-Case", "mixed-case", "MIXED-CASE",
    "comma,id", 'quote"id',
    "tab\tid", "slash/id",     # refused by the manifest by design (exit 2 naming the line)
]


class Fatal(Exception):
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def short(fid, n=40):
    r = repr(fid)
    return r if len(r) <= n else r[:n - 6] + "..." + r[-3:]


def parse_pages(spec):
    out = set()
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return sorted(out)


def fmt_pages(pages):
    pages, out, i = sorted(pages), [], 0
    while i < len(pages):
        j = i
        while j + 1 < len(pages) and pages[j + 1] == pages[j] + 1:
            j += 1
        out.append(str(pages[i]) if i == j else "%d-%d" % (pages[i], pages[j]))
        i = j + 1
    return ",".join(out)


# --------------------------------------------------------------------------- page pool

def render_pool(src, cache):
    """Bitonal G4 pages rendered by make_sample.py, a blank page and a truncated page;
    rendered once per make_sample.py version."""
    gen = os.path.join(src, "tools", "make_sample.py")
    key = hashlib.sha256(open(gen, "rb").read() + b"%d" % POOL_FORMAT).hexdigest()[:16]
    meta_path = os.path.join(cache, "pool.json")
    if os.path.exists(meta_path):
        meta = json.load(open(meta_path))
        if meta.get("key") == key and all(os.path.exists(os.path.join(cache, p))
                                          for p in meta["pages"] + [meta["blank"], meta["trunc"]]):
            return meta
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    raw = os.path.join(cache, "raw")
    subprocess.run(["/usr/bin/python3", gen, "--delivery", "--files", "5", "--pages-min", "5",
                    "--pages-max", "5", "--seed", "4242", "--out", raw], check=True,
                   stdout=subprocess.DEVNULL)
    tifs = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(os.path.join(raw, "scans"))
                  for f in fs if f.endswith(".tif"))
    pages = []
    for i, t in enumerate(tifs):
        name = "p%02d.tif" % i
        shutil.copyfile(t, os.path.join(cache, name))
        pages.append(name)
    shutil.rmtree(raw)
    from PIL import Image
    Image.new("1", (2480, 3508), 1).save(os.path.join(cache, "blank.tif"), "TIFF",
                                         compression="group4", dpi=(300, 300))
    data = open(os.path.join(cache, pages[0]), "rb").read()
    open(os.path.join(cache, "trunc.tif"), "wb").write(data[:len(data) // 2])
    meta = dict(key=key, pages=pages, blank="blank.tif", trunc="trunc.tif")
    json.dump(meta, open(meta_path, "w"), indent=1)
    return meta


def calibrate(quire, cache, meta, work):
    """Ask this quire which pool pages are clean (alone and side by side) and that the
    blank and the truncated page are faults."""
    cal = os.path.join(work, "calibration")
    shutil.rmtree(cal, ignore_errors=True)
    pages, rows = meta["pages"], []

    def put(fid, names):
        os.makedirs(os.path.join(cal, "d", fid))
        for k, n in enumerate(names, 1):
            shutil.copyfile(os.path.join(cache, n), os.path.join(cal, "d", fid, "%04d.tif" % k))
        rows.append((fid, len(names)))
    for i, n in enumerate(pages):
        put("one-%02d" % i, [n])
    put("all", pages)
    put("blank", [pages[0], meta["blank"]])
    put("trunc", [pages[1], meta["trunc"]])
    with open(os.path.join(cal, "manifest.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file_id", "expected_pages"])
        w.writerows(rows)
    subprocess.run([quire, "ingest", "--quiet", "--jobs", "2", "--manifest",
                    os.path.join(cal, "manifest.csv"), "--out", os.path.join(cal, "out"),
                    "--ledger", os.path.join(cal, "q.db"), os.path.join(cal, "d")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(cal, "q.db"), uri=True)
    faults = {}
    for fid, page, kind in con.execute("SELECT file_id, page, kind FROM faults"):
        faults.setdefault(fid, []).append((page, kind))
    con.close()
    bad = {i for i in range(len(pages)) if faults.get("one-%02d" % i)}
    bad |= {p - 1 for p, k in faults.get("all", []) if p > 0}
    pool = dict(meta, clean=[n for i, n in enumerate(pages) if i not in bad],
                dropped=[pages[i] for i in sorted(bad)], blank_faults=faults.get("blank", []),
                trunc_faults=faults.get("trunc", []))
    if len(pool["clean"]) < 6 or not pool["blank_faults"] or not pool["trunc_faults"]:
        raise Fatal("page pool calibration failed: %s" % json.dumps(pool))
    shutil.rmtree(cal)
    return pool


# --------------------------------------------------------------------------- the world

class World:
    def __init__(self, a, pool):
        self.a = a
        self.quire = a.quire
        self.work = a.work
        self.pool_dir = a.pool_cache
        self.pool = pool
        self.clean = pool["clean"]
        self.rng = random.Random(a.seed)
        self.out = os.path.join(self.work, "out")
        self.db = os.path.join(self.work, "q.db")
        self.dlv_dir = os.path.join(self.work, "deliveries")
        self.log_dir = os.path.join(self.work, "steps")
        for d in (self.dlv_dir, self.log_dir):
            os.makedirs(d, exist_ok=True)
        self.step = 0
        self.ops = []
        self.deliveries = []          # every delivery written: dict(dir, manifest, ids, label)
        self.files = {}               # file id -> dict(n=expected pages, refused=bool)
        self.fresh_ids = list(HOSTILE)
        self.rng.shuffle(self.fresh_ids)
        self.serial = 0
        self.killed = set()           # batches that were running when killed
        self.ever_killed = set()
        self.sha_cache = {}
        self.qpdf_cache = {}
        self.violations = []          # (step, sig, message)
        self.seen_sigs = {}
        self.step_violations = []

    # ---- helpers ------------------------------------------------------------

    def note(self, text):
        self.ops.append("%d: %s" % (self.step, text))

    def violate(self, sig, msg):
        self.step_violations.append((sig, msg))

    def ro(self):
        if not os.path.exists(self.db):
            return None
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=30)
        con.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        return con

    def run(self, args, tag, timeout=300):
        base = os.path.join(self.log_dir, "%03d-%s" % (self.step, tag))
        t0 = time.time()
        try:
            p = subprocess.run([self.quire] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = "timeout", e.stdout or b"", e.stderr or b""
            self.violate("hang", "quire %s did not finish within %d s" % (args[0], timeout))
        with open(base + ".cmd", "w", encoding="utf-8", errors="surrogateescape") as fh:
            fh.write(json.dumps([self.quire] + args, ensure_ascii=False) + "\n")
            fh.write("exit %s in %.2f s\n" % (rc, time.time() - t0))
        open(base + ".out", "wb").write(out)
        open(base + ".err", "wb").write(err)
        return rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def new_id(self):
        while self.fresh_ids:
            fid = self.fresh_ids.pop()
            if fid not in self.files:
                return fid
        self.serial += 1
        return "NORM-%04d" % self.serial

    def expected(self, fid):
        f = self.files.get(fid)
        if f is None:
            n = self.rng.choice([1, 2, 2, 3, 3, 3])
            f = self.files[fid] = dict(n=n, refused=False)
        return f["n"]

    def pick_pages(self, n, avoid=()):
        """n pool page names, no two neighbours alike."""
        out = []
        for _ in range(n):
            choices = [p for p in self.clean if (not out or p != out[-1]) and p not in avoid]
            out.append(self.rng.choice(choices))
        return out

    def file_plan(self, fid, fault=None):
        """(expected pages, [(page file name, pool name)]) for a whole delivery of fid."""
        n = self.expected(fid)
        names = self.pick_pages(n)
        if fault == "missing" and n >= 2:
            names = names[:-1]
        elif fault == "blank":
            names[self.rng.randrange(n)] = self.pool["blank"]
        elif fault == "trunc":
            names[self.rng.randrange(n)] = self.pool["trunc"]
        return n, [("%04d.tif" % (k + 1), p) for k, p in enumerate(names)]

    def write_delivery(self, label, plans, layout):
        """plans: list of (fid, expected, [(page name, pool name)]). Returns the delivery."""
        d = os.path.join(self.dlv_dir, "%03d-%s" % (self.step, label))
        scans = os.path.join(d, "scans")
        os.makedirs(scans)
        boxes = {}
        for i, (fid, n, pages) in enumerate(plans):
            boxes.setdefault("BOX-%d" % (i % 2 + 1), []).append((fid, pages))
        if layout == "folders":
            for fid, n, pages in plans:
                fd = os.path.join(scans, fid)
                os.makedirs(fd)
                for name, src in pages:
                    shutil.copyfile(os.path.join(self.pool_dir, src), os.path.join(fd, name))
        elif layout == "zip":
            for box, files in boxes.items():
                with zipfile.ZipFile(os.path.join(scans, box + ".zip"), "w") as z:
                    for fid, pages in files:
                        for name, src in pages:
                            zi = zipfile.ZipInfo(fid + "/" + name, time.localtime()[:6])
                            z.writestr(zi, open(os.path.join(self.pool_dir, src), "rb").read())
        else:
            for box, files in boxes.items():
                with tarfile.open(os.path.join(scans, box + ".tar"), "w",
                                  format=tarfile.PAX_FORMAT) as t:
                    for fid, pages in files:
                        for name, src in pages:
                            data = open(os.path.join(self.pool_dir, src), "rb").read()
                            ti = tarfile.TarInfo(fid + "/" + name)
                            ti.size, ti.mtime = len(data), time.time()
                            t.addfile(ti, io.BytesIO(data))
        man = os.path.join(d, "manifest.csv")
        with open(man, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["file_id", "box", "expected_pages", "title"])
            for i, (fid, n, pages) in enumerate(plans):
                w.writerow([fid, "BOX-%d" % (i % 2 + 1), n, "Akte %s, \"Teil\" %d" % (fid[:20], i)])
        dl = dict(dir=d, manifest=man, ids=[p[0] for p in plans], label=os.path.basename(d),
                  kind=label, layout=layout, plans=plans)
        self.deliveries.append(dl)
        return dl

    def ingest_args(self, dl, retry=False):
        args = ["ingest", "--quiet", "--jobs", "2", "--manifest", dl["manifest"], "--out",
                self.out, "--ledger", self.db]
        if retry:
            args.append("--retry")
        return args + [dl["dir"]]

    # ---- ledger reading -------------------------------------------------------

    def snapshot(self):
        """A digest of every ledger table and of the output folder."""
        snap = {}
        con = self.ro()
        if con:
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"
                                    " ORDER BY name"):
                rows = sorted(repr(r) for r in con.execute('SELECT * FROM "%s"' % t))
                snap["table " + t] = hashlib.sha256("\n".join(rows).encode(
                    "utf-8", "surrogateescape")).hexdigest()
            con.close()
        if os.path.isdir(self.out):
            for n in sorted(os.listdir(self.out)):
                st = os.lstat(os.path.join(self.out, n))
                snap["out " + n] = (st.st_size, st.st_mtime_ns)
        return snap

    def changed(self, before):
        after = self.snapshot()
        keys = sorted(set(before) | set(after))
        return [k for k in keys if before.get(k) != after.get(k)]

    def batches_running(self):
        con = self.ro()
        if not con:
            return set()
        r = {b for (b,) in con.execute("SELECT id FROM batches WHERE status='running'")}
        con.close()
        return r

    # ---- ingest with the exit-code checks -----------------------------------------

    def ingest(self, dl, retry=False, tag="ingest"):
        """Run ingest on dl; handle a manifest refusal (drop the named rows, run again)."""
        for attempt in range(3):
            before = self.snapshot()
            rc, out, err = self.run(self.ingest_args(dl, retry), tag)
            if rc != 2:
                break
            changed = self.changed(before)
            if changed:
                self.violate("inv5-refused-changed", "ingest exit 2 changed %s" % changed[:5])
            named = self.refused_ids(dl, err)
            if not named:
                self.violate("inv5-exit2-unnamed", "ingest of %s exit 2 without naming a manifest "
                             "line: %s" % (dl["label"], err.strip()[:300]))
                return rc
            for fid in named:
                self.files[fid]["refused"] = True
            self.note("manifest refused %s; ingest again without them"
                      % ", ".join(short(f) for f in named))
            plans = [p for p in dl["plans"] if p[0] not in named]
            if not plans:
                return rc
            dl = self.rewrite(dl, plans)
        self.after_ingest(dl, rc, err)
        return rc

    @staticmethod
    def refused_ids(dl, err):
        """The ids of dl whose manifest lines a refusal (exit 2) names."""
        lines = {int(m) for m in re.findall(r"manifest\.csv:(\d+)", err)}
        lines |= {int(m) for m in re.findall(r"\bline (\d+)", err)}
        return [dl["ids"][ln - 2] for ln in lines if 2 <= ln < 2 + len(dl["ids"])]

    def rewrite(self, dl, plans):
        """The delivery again without some files (after a manifest refusal)."""
        label = dl["kind"] + "-again"
        if os.path.isdir(os.path.join(self.dlv_dir, "%03d-%s" % (self.step, label))):
            label += "x"
        return self.write_delivery(label, plans, dl["layout"])

    def after_ingest(self, dl, rc, err):
        if rc not in (0, 1):
            self.violate("inv5-ingest-exit-%s" % rc, "ingest of %s exited %s: %s"
                         % (dl["label"], rc, err.strip()[-300:]))
        con = self.ro()
        if not con:
            return
        batch = con.execute("SELECT max(id) FROM batches").fetchone()[0]
        if rc == 0:
            notes = [ln for ln in err.splitlines() if ln.startswith(("refused:", "ignored:"))]
            for fid in dl["ids"]:
                row = con.execute("SELECT status, batch FROM files WHERE file_id=? AND current=1",
                                  (fid,)).fetchone()
                if row and row[0] == "archived":
                    continue
                if not row:
                    cause, why = "no-outcome", "it has no outcome at all"
                elif row[1] == batch:
                    cause, why = "faulty-now", "this run recorded it faulty"
                else:
                    cause, why = "skipped-faulty", ("it is faulty since batch %d and this run "
                                                    "skipped it" % row[1])
                self.violate("inv5-exit0-" + cause, "ingest of %s exited 0 but %s is not "
                             "archived: %s%s" % (dl["label"], short(fid), why,
                                                 "; quire said: " + notes[0][:160] if notes else ""))
        if rc in (0, 1):
            inv = {f for (f,) in con.execute("SELECT file_id FROM inventory")}
            for fid in dl["ids"]:
                if fid not in inv:
                    near = [f for f in inv if f.strip() == fid.strip() and f != fid]
                    self.violate("id-not-in-inventory", "the manifest's id %s is not in the "
                                 "ledger's inventory after ingest%s" % (short(fid), (
                                     " (it has %s)" % short(near[0])) if near else ""))
        if rc in (0, 1, 3):
            st = dict(con.execute("SELECT id, status FROM batches"))
            for b in sorted(self.killed):
                if st.get(b) != "interrupted":
                    self.violate("inv5-killed-batch-" + str(st.get(b)),
                                 "batch %d was killed by kill -9; after the next ingest its "
                                 "status is %r, not 'interrupted'" % (b, st.get(b)))
            still = [b for b, s in st.items() if s == "running" and b not in self.ever_killed]
            if still:
                self.violate("inv5-batch-running", "batches %s still 'running' after an ingest "
                             "finished" % still)
            self.killed = set()
        con.close()

    # ---- operations ---------------------------------------------------------

    def op_fresh(self, layout=None):
        layout = layout or self.rng.choice(["folders", "folders", "zip", "tar"])
        k = self.rng.randint(2, 4)
        plans, faults = [], {}
        for _ in range(k):
            fid = self.new_id()
            fault = None
            if self.rng.random() < 0.4:
                fault = self.rng.choice(["blank", "trunc", "missing"])
            n, pages = self.file_plan(fid, fault)
            if fault == "missing" and len(pages) == n:
                fault = None
            if fault:
                faults[fid] = fault
            plans.append((fid, n, pages))
        dl = self.write_delivery("fresh-" + layout, plans, layout)
        self.note("fresh %s delivery %s: %s" % (layout, dl["label"], ", ".join(
            "%s(%d%s)" % (short(f), n, "," + faults[f] if f in faults else "")
            for f, n, _ in plans)))
        return self.ingest(dl)

    def earlier(self):
        return self.rng.choice(self.deliveries) if self.deliveries else None

    def op_rerun(self, retry=False):
        dl = self.earlier()
        if not dl:
            return self.op_fresh()
        self.note("%s of delivery %s" % ("--retry" if retry else "rerun", dl["label"]))
        before = self.snapshot()
        rc, out, err = self.run(self.ingest_args(dl, retry), "retry" if retry else "rerun")
        named = self.refused_ids(dl, err) if rc == 2 else []
        if rc == 2 and (named or any(self.files[f]["refused"] for f in dl["ids"])):
            for fid in named:   # a killed run may not have got as far as saying so
                self.files[fid]["refused"] = True
            self.note("(its manifest is refused, naming %s)" % ", ".join(short(f) for f in named))
            if self.changed(before):
                self.violate("inv5-refused-changed", "ingest exit 2 changed %s"
                             % self.changed(before)[:5])
            return rc
        self.after_ingest(dl, rc, err)
        return rc

    def open_faults(self):
        fmt = self.rng.choice(["csv", "json"])
        rc, out, err = self.run(["faults", "--format", fmt, "--ledger", self.db], "faults")
        if rc != 0:
            self.violate("faults-exit", "quire faults exited %s: %s" % (rc, err[:200]))
            return []
        try:
            if fmt == "json":
                return [(f["file_id"], f["page"], f["kind"]) for f in json.loads(out)]
            return [(r["file_id"], int(r["page"]), r["kind"])
                    for r in csv.DictReader(io.StringIO(out))]
        except (ValueError, KeyError) as e:
            self.violate("faults-format", "quire faults --format %s is unreadable: %s" % (fmt, e))
            return []

    def op_accept_open(self):
        faults = self.open_faults()
        if not faults:
            return self.op_wrong()
        fid, page, kind = self.rng.choice(faults)
        args = ["accept", fid, "--kind", kind, "--reason", "false alarm (property test)",
                "--by", "prop", "--ledger", self.db]
        if page > 0:
            args[2:2] = ["--page", str(page)]
        self.note("accept open fault %s page %d %s" % (short(fid), page, kind))
        before = self.snapshot()
        rc, out, err = self.run(args, "accept")
        if kind in ("corrupt", "unexpected_file"):
            if rc != 2:
                self.violate("accept-unacceptable", "accept of %s (cannot be accepted) exited "
                             "%s" % (kind, rc))
            elif self.changed(before):
                self.violate("inv5-refused-changed", "refused accept changed %s"
                             % self.changed(before)[:5])
        elif rc != 0:
            self.violate("accept-valid-refused", "accept of open fault %s page %d %s exited "
                         "%s: %s" % (short(fid), page, kind, rc, err.strip()[:200]))

    def known_files(self):
        con = self.ro()
        if not con:
            return {}
        kinds = {}
        for fid, in con.execute("SELECT DISTINCT file_id FROM files"):
            kinds[fid] = set()
        for fid, k in con.execute("SELECT DISTINCT file_id, kind FROM faults"):
            kinds[fid].add(k)
        con.close()
        return kinds

    def op_wrong(self):
        """Wrong accepts and submits: each must exit 2 and change nothing."""
        known = self.known_files()
        files = sorted(f for f in known if f in self.files)
        what = self.rng.choice(["page-beyond", "kind-never", "kind-never", "unknown-file",
                                "submit-beyond"])
        if not files:
            what = "unknown-file"
        fid = self.rng.choice(files) if files else "NO-SUCH-FILE"
        n = self.files[fid]["n"] if fid in self.files else 1
        if what == "page-beyond":
            kind = self.rng.choice(sorted(known[fid] & set(ACCEPTABLE)) or ["blank"])
            args = ["accept", fid, "--page", str(n + self.rng.randint(1, 5)), "--kind", kind]
        elif what == "kind-never":
            kind = self.rng.choice([k for k in ACCEPTABLE if k not in known[fid]])
            args = ["accept", fid, "--kind", kind]
            if self.rng.random() < 0.5:
                args[2:2] = ["--page", str(self.rng.randint(1, n))]
        elif what == "unknown-file":
            fid = self.rng.choice(["NO-SUCH-FILE", "a", "A.v9", "con"])
            if fid in known or fid in self.files:
                fid = "NO-SUCH-FILE"
            args = ["accept", fid, "--page", "1", "--kind", "blank"]
        else:
            args = ["rescan", "submit", fid, "--pages", "%d" % (n + self.rng.randint(1, 4))]
        args += ["--reason", "wrong on purpose", "--ledger", self.db]
        self.note("wrong %s: %s" % (what, " ".join(short(x, 30) for x in args[:-4])))
        before = self.snapshot()
        rc, out, err = self.run(args, "wrong")
        if rc != 2:
            said = ((out + err).strip().splitlines() or [""])[0]
            self.violate("inv5-wrong-not-refused-" + what, "%s exited %s (want 2, refused): %s"
                         % (" ".join(short(x, 40) for x in args[:-4]), rc,
                            said if len(said) < 120 else said[:100] + "..."))
        else:
            changed = self.changed(before)
            if changed:
                self.violate("inv5-refused-changed", "refused %s changed %s" % (what, changed[:5]))

    def current(self):
        """file id -> (status of the current outcome, status of the latest, live job row)."""
        con = self.ro()
        if not con:
            return {}
        out = {}
        for fid, st in con.execute("SELECT file_id, status FROM files WHERE current=1"):
            out[fid] = [st, None, None]
        for fid, st in con.execute("SELECT file_id, status FROM files f WHERE id ="
                                   " (SELECT max(id) FROM files g WHERE g.file_id=f.file_id)"):
            out.setdefault(fid, [None, None, None])[1] = st
        for fid, job, status, pages in con.execute(
                "SELECT file_id, id, status, pages FROM rescan_jobs WHERE status<>'closed'"
                " ORDER BY id"):
            out.setdefault(fid, [None, None, None])[2] = (job, status, pages)
        con.close()
        return {f: v for f, v in out.items() if f in self.files}

    def op_submit(self):
        cur = self.current()
        cands = sorted(f for f, v in cur.items() if v[0] == "archived")
        if not cands:
            return self.op_fresh()
        fid = self.pick_biased(cands)
        n = self.files[fid]["n"]
        args = ["rescan", "submit", fid, "--reason", "unreadable stamp", "--by", "prop",
                "--ledger", self.db]
        pages = None
        if self.rng.random() < 0.85:
            pages = sorted(self.rng.sample(range(1, n + 1), self.rng.randint(1, n)))
            args[3:3] = ["--pages", fmt_pages(pages)]
        self.note("rescan submit %s pages %s" % (short(fid), fmt_pages(pages) if pages else "all"))
        before = self.snapshot()
        rc, out, err = self.run(args, "submit")
        live = cur[fid][2]
        if live and rc != 2:
            self.violate("submit-second-job", "rescan submit on %s with live job %s exited %s"
                         % (short(fid), live, rc))
        elif not live and rc != 0:
            self.violate("submit-refused", "rescan submit on archived %s exited %s: %s"
                         % (short(fid), rc, err.strip()[:200]))
        if rc == 2 and self.changed(before):
            self.violate("inv5-refused-changed", "refused submit changed %s" % self.changed(before)[:5])

    def pick_biased(self, cands):
        """Prefer the A family: their version 2 and 3 archives share names with other ids."""
        fam = [c for c in cands if c in ("A", "A.v2", "A.v3")]
        if fam and self.rng.random() < 0.5:
            return self.rng.choice(fam)
        return self.rng.choice(cands)

    def op_partial(self):
        cur = self.current()
        cands = []
        for fid, (st, latest, job) in cur.items():
            if not job or not job[2] or self.files[fid]["refused"]:
                continue
            pages = parse_pages(job[2])
            if 0 < len(pages) < self.files[fid]["n"]:
                cands.append((fid, pages))
        if not cands:
            return self.op_whole()
        fid = self.pick_biased(sorted(c[0] for c in cands))
        pages = dict(cands)[fid]
        n = self.files[fid]["n"]
        left_out = None
        if len(pages) > 1 and self.rng.random() < 0.15:
            left_out = self.rng.choice(pages)
            pages = [p for p in pages if p != left_out]
        faulty = self.rng.random() < 0.2
        plan = []
        for p in pages:
            src = self.pool["blank"] if faulty and p == pages[0] else self.rng.choice(self.clean)
            plan.append(("%04d.tif" % p, src))
        layout = "zip" if self.rng.random() < 0.2 else "folders"
        dl = self.write_delivery("partial-" + layout, [(fid, n, plan)], layout)
        self.note("partial rescan %s of %s: pages %s of %d%s%s" % (
            dl["label"], short(fid), fmt_pages(pages), n, " (a blank one)" if faulty else "",
            " (page %d left out)" % left_out if left_out else ""))
        return self.ingest(dl, tag="partial")

    def op_whole(self):
        cur = self.current()
        cands = sorted(f for f, v in cur.items() if (v[1] == "faulty" or v[2])
                       and not self.files[f]["refused"])
        if not cands:
            return self.op_fresh()
        fid = self.pick_biased(cands)
        fault = "blank" if self.rng.random() < 0.1 else None
        n, pages = self.file_plan(fid, fault)
        layout = self.rng.choice(["folders", "folders", "zip", "tar"])
        dl = self.write_delivery("whole-" + layout, [(fid, n, pages)], layout)
        self.note("whole redelivery %s of %s (%d pages%s)" % (
            dl["label"], short(fid), n, ", a blank one" if fault else ""))
        return self.ingest(dl, tag="whole")

    def op_kill(self):
        r = self.rng.random()
        if r < 0.6 or not self.deliveries:
            k = self.rng.randint(3, 5)
            plans = []
            for _ in range(k):
                fid = self.new_id()
                fault = "blank" if self.rng.random() < 0.2 else None
                n, pages = self.file_plan(fid, fault)
                plans.append((fid, n, pages))
            dl = self.write_delivery("killed", plans, self.rng.choice(["folders", "zip"]))
            retry = False
        else:
            dl, retry = self.earlier(), True
        delay = self.rng.uniform(0.02, 0.7)
        self.note("kill -9 after %.2f s: ingest%s of %s (%s)" % (
            delay, " --retry" if retry else "", dl["label"],
            ", ".join(short(f) for f in dl["ids"])))
        base = os.path.join(self.log_dir, "%03d-killed" % self.step)
        with open(base + ".err", "wb") as fe:
            p = subprocess.Popen([self.quire] + self.ingest_args(dl, retry),
                                 stdout=subprocess.DEVNULL, stderr=fe)
            time.sleep(delay)
            running_before = p.poll() is None
            try:
                p.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc = p.wait()
        if running_before and rc == -signal.SIGKILL:
            self.killed |= self.batches_running()
            self.ever_killed |= self.killed
            self.note("killed (batches left running: %s)" % sorted(self.killed))
        else:
            self.note("it had finished first (exit %s)" % rc)
            if rc != 2:
                self.after_ingest(dl, rc, open(base + ".err").read())

    OPS = [("fresh", 22), ("rerun", 8), ("retry", 7), ("accept_open", 11), ("wrong", 8),
           ("submit", 8), ("partial", 13), ("whole", 10), ("kill", 7)]

    def do_step(self):
        ops = dict(self.OPS)
        for part in filter(None, (self.a.weights or "").split(",")):
            k, v = part.split("=")
            if k not in ops:
                raise Fatal("PROPERTY_WEIGHTS: unknown operation %s (%s)" % (k, ", ".join(ops)))
            ops[k] = float(v)
        names = list(ops)
        weights = [ops[o] for o in names]
        op = "fresh" if self.step == 1 else self.rng.choices(names, weights)[0]
        {"fresh": self.op_fresh, "rerun": self.op_rerun,
         "retry": lambda: self.op_rerun(retry=True), "accept_open": self.op_accept_open,
         "wrong": self.op_wrong, "submit": self.op_submit, "partial": self.op_partial,
         "whole": self.op_whole, "kill": self.op_kill}[op]()

    # ---- invariants ------------------------------------------------------------

    def sha_of(self, path):
        st = os.stat(path)
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in self.sha_cache:
            self.sha_cache[key] = sha256_file(path)
        return self.sha_cache[key]

    def qpdf_ok(self, path):
        st = os.stat(path)
        key = (path, st.st_ino, st.st_size, st.st_mtime_ns)
        if key not in self.qpdf_cache:
            p = subprocess.run(["qpdf", "--check", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            # exit 3 means warnings, such as a reconstructed cross-reference table
            self.qpdf_cache[key] = (p.returncode == 0,
                                    p.stdout.decode("utf-8", "replace").strip()[-200:])
        return self.qpdf_cache[key]

    def check(self):
        con = self.ro()
        if not con:
            return
        try:
            self.check_ledger(con)
        finally:
            con.close()

    def check_ledger(self, con):
        ok = con.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            self.violate("sqlite-corrupt", "PRAGMA quick_check: %s" % ok)
        # 1: every archive the ledger names exists with its SHA-256
        named = {}
        for fid, ver, path, sha in con.execute(
                "SELECT file_id, version, archive_path, archive_sha256 FROM files"
                " WHERE status='archived' ORDER BY id"):
            named.setdefault(os.path.normpath(path), []).append((fid, ver, sha))
            if not os.path.isfile(path):
                self.violate("inv1-archive-missing", "archive of %s v%d is gone: %s"
                             % (short(fid), ver, short(os.path.basename(path), 60)))
            elif self.sha_of(path) != sha:
                self.violate("inv1-archive-sha", "archive of %s v%d (%s) no longer has its "
                             "recorded SHA-256" % (short(fid), ver,
                                                   short(os.path.basename(path), 60)))
        for path, owners in named.items():
            if len(owners) > 1:
                self.violate("inv1-archive-shared", "%s is the archive of %s" % (
                    short(os.path.basename(path), 60),
                    " and ".join("%s v%d" % (short(f), v) for f, v, _ in owners)))
        # 2 and 6: every *.pdf in the output folder is known and complete
        writes = {}
        if con.execute("SELECT 1 FROM sqlite_master WHERE name='archive_writes'").fetchone():
            for final, sha in con.execute("SELECT final_path, sha256 FROM archive_writes"):
                writes.setdefault(os.path.normpath(final), set()).add(sha)
        if os.path.isdir(self.out):
            for name in sorted(os.listdir(self.out)):
                path = os.path.join(self.out, name)
                if not name.endswith(".pdf") or not os.path.isfile(path):
                    continue
                norm = os.path.normpath(path)
                if norm not in named and not (norm in writes and self.sha_of(path) in writes[norm]):
                    self.violate("inv2-unknown-pdf", "%s is in the output folder but no archived "
                                 "outcome names it" % short(name, 60))
                good, why = self.qpdf_ok(path)
                if not good:
                    self.violate("inv6-qpdf", "qpdf --check %s fails: %s" % (short(name, 60), why))
        # 3: every open fault has an open or delivered rescan job
        live = {f for (f,) in con.execute("SELECT DISTINCT file_id FROM rescan_jobs"
                                          " WHERE status IN ('open','delivered')")}
        for fid, ver, batch in con.execute(
                "SELECT file_id, version, batch FROM files f WHERE status='faulty' AND NOT EXISTS"
                " (SELECT 1 FROM faults x WHERE x.outcome=f.id AND x.accepted=0)"):
            self.violate("inv3-faulty-without-fault", "%s was recorded faulty in batch %d with no "
                         "unaccepted fault (nothing to rescan, no job, not in quire faults)"
                         % (short(fid), batch))
        for fid, page, kind in con.execute(
                "SELECT x.file_id, x.page, x.kind FROM files f JOIN faults x ON x.outcome=f.id"
                " WHERE f.id = (SELECT max(id) FROM files g WHERE g.file_id=f.file_id)"
                " AND f.status='faulty' AND x.accepted=0 AND x.kind<>'unexpected_file'"
                " AND NOT EXISTS (SELECT 1 FROM accepts a WHERE a.file_id=x.file_id"
                " AND a.kind=x.kind AND a.page IN (0, x.page))"):
            if fid not in live:
                self.violate("inv3-fault-without-job", "%s has an open %s fault (page %d) and "
                             "no open rescan job" % (short(fid), kind, page))
        self.check_events(con)

    def check_events(self, con):
        events = con.execute("SELECT CAST(id AS TEXT), ts, CAST(batch AS TEXT), file_id, kind,"
                             " actor, detail, prev_hash, hash, id, batch FROM events"
                             " ORDER BY id").fetchall()
        # the hash chain, as ledger/events.c computes it
        prev = "0" * 64
        for i, e in enumerate(events):
            h = hashlib.sha256(prev.encode())
            for f in e[:7]:
                if f is None:
                    h.update(b"-")
                else:
                    b = f.encode("utf-8", "surrogateescape")
                    h.update(b"%d:" % len(b) + b)
            if e[9] != i + 1 or e[7] != prev or h.hexdigest() != e[8]:
                self.violate("inv4-chain", "event chain broken at event %s (%s)" % (e[9], e[4]))
                break
            prev = e[8]
        # outcome events <-> outcome rows, one to one
        ev = {}
        for e in events:
            if e[4] in ("archived", "faulty"):
                k = (e[3], e[10], e[4])
                ev[k] = ev.get(k, 0) + 1
        rows = {}
        for fid, batch, st in con.execute("SELECT file_id, batch, status FROM files"):
            rows[(fid, batch, st)] = rows.get((fid, batch, st), 0) + 1
        for k in sorted(set(ev) | set(rows), key=repr):
            if ev.get(k, 0) != rows.get(k, 0):
                self.violate("inv4-outcome-event", "%s of %s in batch %s: %d events, %d outcome "
                             "rows" % (k[2], short(k[0]), k[1], ev.get(k, 0), rows.get(k, 0)))
        # accept events <-> accepts rows
        acc = {a[0]: a for a in con.execute("SELECT id, file_id, page, kind FROM accepts")}
        seen = {}
        for e in events:
            if e[4] != "accept":
                continue
            d = json.loads(e[6])
            a = acc.get(d.get("accept"))
            if not a or (a[1], a[2], a[3]) != (e[3], d.get("page"), d.get("kind")):
                self.violate("inv4-accept-event", "accept event %s (%s) has no matching accepts "
                             "row" % (e[9], short(e[3])))
            seen[d.get("accept")] = seen.get(d.get("accept"), 0) + 1
        for aid, a in acc.items():
            if seen.get(aid) != 1:
                self.violate("inv4-accept-row", "accept #%d of %s has %d events"
                             % (aid, short(a[1]), seen.get(aid, 0)))
        # job events name a job of that file; every job has its submit event
        jobs = {j[0]: j for j in con.execute("SELECT id, file_id, status, resolved_batch"
                                             " FROM rescan_jobs")}
        submitted, closed = {}, {}
        for e in events:
            if not e[4].startswith("rescan_"):
                continue
            d = json.loads(e[6])
            j = jobs.get(d.get("job"))
            if not j or j[1] != e[3]:
                self.violate("inv4-job-event", "%s event %s names job %s, not a job of %s"
                             % (e[4], e[9], d.get("job"), short(e[3])))
                continue
            if e[4] == "rescan_submitted":
                submitted[j[0]] = submitted.get(j[0], 0) + 1
            if e[4] in ("rescan_closed", "rescan_closed_by_accept", "rescan_reopened"):
                closed[j[0]] = e[4] != "rescan_reopened"   # the last of them wins
        for jid, j in jobs.items():
            if submitted.get(jid) != 1:
                self.violate("inv4-job-submit", "rescan job %d of %s has %d rescan_submitted "
                             "events" % (jid, short(j[1]), submitted.get(jid, 0)))
            if (j[2] == "closed") != closed.get(jid, False):
                self.violate("inv4-job-closed", "rescan job %d of %s is %s, but its last "
                             "closing/reopening event says %s" % (
                                 jid, short(j[1]), j[2], {True: "closed", False: "reopened",
                                                          None: "nothing"}[closed.get(jid)]))
        # rescan_delivered only when the sources differ from the previous outcome
        outs = {}
        for oid, fid, batch, fp in con.execute("SELECT id, file_id, batch, source_fingerprint"
                                               " FROM files ORDER BY id"):
            outs.setdefault(fid, []).append((oid, batch, fp))
        for e in events:
            if e[4] != "rescan_delivered":
                continue
            fid, batch = e[3], e[10]
            rows = outs.get(fid, [])
            prev = [r for r in rows if r[1] < batch]
            cur = [r for r in rows if r[1] == batch]
            if not prev or not cur:
                continue   # no earlier outcome, or the delivering run ended before one
            if prev[-1][2] == cur[0][2]:
                self.violate("inv4-rescan-delivered-same-sources",
                             "rescan_delivered for %s in batch %d, but the outcome of batch %d "
                             "has the same sources as the previous one (batch %d)"
                             % (short(fid), batch, cur[0][1], prev[-1][1]))

    # ---- the run -----------------------------------------------------------------

    def report_step(self):
        new = []
        for sig, msg in self.step_violations:
            self.violations.append((self.step, sig, msg))
            if sig not in self.seen_sigs:
                self.seen_sigs[sig] = (self.step, msg)
                new.append((sig, msg))
        self.step_violations = []
        return new


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quire", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--pool-cache", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--weights", default="",
                    help="operation weights, e.g. kill=40,fresh=10 (others keep theirs)")
    ap.add_argument("--keep-going", action="store_true",
                    help="go on after a violation; list each distinct one at the end")
    a = ap.parse_args()
    a.quire = os.path.abspath(a.quire)
    a.work = os.path.abspath(a.work)
    os.makedirs(a.work, exist_ok=True)
    t0 = time.time()
    try:
        a.pool_cache = os.path.abspath(a.pool_cache)
        pool = calibrate(a.quire, a.pool_cache, render_pool(a.src, a.pool_cache), a.work)
    except (Fatal, subprocess.CalledProcessError) as e:
        print("FAIL: cannot build the page pool: %s" % e)
        return 1
    w = World(a, pool)
    repro = "PROPERTY_SEED=%d PROPERTY_STEPS=%%d bash tests/e2e/test_property_ledger.sh" % a.seed
    print("property test: seed %d, %d steps, %d pool pages (%.1f s to prepare)"
          % (a.seed, a.steps, len(pool["clean"]), time.time() - t0))
    sys.stdout.flush()
    failed_at = None
    for step in range(1, a.steps + 1):
        w.step = step
        n_ops = len(w.ops)
        w.do_step()
        w.check()
        new = w.report_step()
        if w.violations and w.violations[-1][0] == step:
            with open(os.path.join(a.work, "violations.txt"), "a", encoding="utf-8") as fh:
                for v in w.violations:
                    if v[0] == step:
                        fh.write("step %d [%s] %s\n" % v)
        for sig, msg in new:
            print("step %d: VIOLATION [%s] %s" % (step, sig, msg))
            print("    after: %s" % " | ".join(w.ops[n_ops:]))
        sys.stdout.flush()
        if new and failed_at is None:
            failed_at = step
        if new and not a.keep_going:
            break
    elapsed = time.time() - t0
    with open(os.path.join(a.work, "operations.txt"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(w.ops) + "\n")
    if failed_at is None:
        print("%d steps in %.0f s, %d operations, no invariant broken" % (w.step, elapsed, len(w.ops)))
        print("1 passed, 0 failed")
        return 0
    print()
    print("FAIL: seed %d, first violation at step %d (%d steps run in %.0f s)"
          % (a.seed, failed_at, w.step, elapsed))
    print("distinct violations (first step, signature, message):")
    for sig, (step, msg) in sorted(w.seen_sigs.items(), key=lambda x: x[1][0]):
        n = sum(1 for v in w.violations if v[1] == sig)
        print("  step %d [%s] x%d: %s" % (step, sig, n, msg))
    print("operations so far:")
    for o in w.ops if len(w.ops) <= 400 else w.ops[-400:]:
        print("  " + o)
    print("work folder kept: %s (steps/ has each command, its output and exit code)" % a.work)
    print("reproduce: " + repro % failed_at)
    if any("kill -9" in o for o in w.ops):
        print("(kill -9 lands at a random moment: a run with kills may need a few tries to "
              "hit the same state)")
    print("0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
