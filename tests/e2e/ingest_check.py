#!/usr/bin/python3
"""Compare a quire ledger with a delivery's truth.json (make_batch.py or
tools/make_sample.py) and with the archives on disk.

usage: ingest_check.py QUIRE LEDGER OUT_DIR TRUTH_JSON

Checks, printing counts:
  * files with a missing page == ledger files with missing_pages
  * files with an extra page == ledger files with extra_pages
  * files with a sheet fed twice == ledger files with duplicate
  * files with a truncated / corrupt page  == ledger files with corrupt
  * every delivered file without truth faults of those kinds is archived,
    unless the ledger names another fault for it (printed)
  * every archive on disk is in the files export with the same SHA-256, and
    every archived file's archive exists; no temporary files are left
  * a multi-page container damaged on purpose (file fault truncated or
    corrupt_header) must give `corrupt`; the pages before the damage must be
    read (a page row with a format, no corrupt fault), and page-count or
    duplicate faults on it are consequences of the pages lost, so they are
    printed, not judged
Exit 0 when all hold, 1 otherwise.
"""
import hashlib
import json
import os
import subprocess
import sys

COUNT_KINDS = {"missing_page": "missing_pages", "extra_page": "extra_pages",
               "duplicate": "duplicate",
               "truncated": "corrupt", "corrupt_header": "corrupt"}


def export(quire, ledger, what):
    out = subprocess.run([quire, "export", what, "--format", "json", "--ledger", ledger],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def truth_sets(truth):
    """Files expected under each kind, from the truth's file and page faults."""
    want = {k: set() for k in set(COUNT_KINDS.values())}
    for f in truth["files"]:
        kinds = [x["kind"] for x in f.get("file_faults", [])]
        kinds += [x["kind"] for p in f["pages"] for x in p.get("faults", [])]
        for k in kinds:
            if k in COUNT_KINDS:
                want[COUNT_KINDS[k]].add(f["file_id"])
    return want


def same_source_neighbours(truth):
    """Files where the generator put the same source page on two consecutive
    sheets without calling it a duplicate: indistinguishable from a sheet fed
    twice, so differences there are reported, not failed."""
    out = set()
    for f in truth["files"]:
        pages = f["pages"]
        for a, b in zip(pages, pages[1:]):
            dup = any(x["kind"] == "duplicate" for x in b.get("faults", []))
            if a.get("source") and a.get("source") == b.get("source") and not dup:
                out.add(f["file_id"])
    return out


def damaged_containers(truth):
    """Multi-page containers damaged on purpose: file_id -> truth file."""
    return {f["file_id"]: f for f in truth["files"]
            if any(x["kind"] in ("truncated", "corrupt_header") for x in f.get("file_faults", []))}


def check_damaged(damaged, pages, faults):
    """Pages before the damage must be read; returns False when one is not."""
    ok = True
    corrupt_at = {(x["file_id"], x["page"]) for x in faults if x["kind"] == "corrupt"}
    rows = {(r["file_id"], r["page"]): r for r in pages}
    for fid, f in sorted(damaged.items()):
        intact = [p["delivered"] for p in f["pages"] if p.get("intact", True)]
        unread = [n for n in intact if (fid, n) in corrupt_at or
                  rows.get((fid, n), {}).get("format") in (None, "unreadable")]
        print("damaged container %s: %d of %d pages intact, %d of them read" % (
            fid, len(intact), len(f["pages"]), len(intact) - len(unread)))
        if unread:
            print("   FAIL: intact pages not read:", unread)
            ok = False
    return ok


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_disk(files, out_dir):
    ok = True
    archived = {r["archive"]: r for r in files if r["status"] == "archived"}
    for r in archived.values():
        if not os.path.exists(r["archive"]):
            print("FAIL: archive missing on disk:", r["archive"])
            ok = False
        elif sha256(r["archive"]) != r["archive_sha256"]:
            print("FAIL: SHA-256 differs from the ledger:", r["archive"])
            ok = False
    on_disk = [os.path.join(out_dir, n) for n in os.listdir(out_dir)]
    tmp_dir = os.path.join(out_dir, ".quire-tmp")
    if os.path.isdir(tmp_dir):
        for n in os.listdir(tmp_dir):
            print("FAIL: temporary file left:", os.path.join(tmp_dir, n))
            ok = False
    for p in on_disk:
        if p == tmp_dir:
            continue
        if ".tmp-" in p and not p.endswith(".pdf"):
            print("FAIL: temporary file left:", p)
            ok = False
        elif p.endswith(".pdf") and p not in archived and os.path.abspath(p) not in archived:
            print("FAIL: archive on disk not in the ledger:", p)
            ok = False
    print("disk: %d archives in the ledger, %d files in %s" % (len(archived), len(on_disk), out_dir))
    return ok


def main():
    quire, ledger, out_dir, truth_path = sys.argv[1:5]
    truth = json.load(open(truth_path))
    files = export(quire, ledger, "files")
    faults = export(quire, ledger, "faults")
    got = {k: set() for k in set(COUNT_KINDS.values())}
    for x in faults:
        if x["kind"] in got:
            got[x["kind"]].add(x["file_id"])
    want = truth_sets(truth)
    damaged = damaged_containers(truth)
    ambiguous = same_source_neighbours(truth)
    for k in ("missing_pages", "extra_pages", "duplicate"):
        for fid in sorted((got[k] ^ want[k]) & set(damaged)):
            print("not judged: %s %s on a damaged container (truth %s)" % (
                fid, k, "yes" if fid in want[k] else "no"))
            got[k].discard(fid)
            want[k].discard(fid)
    if ambiguous:
        print("files with the same source page on consecutive sheets (not judged):",
              sorted(ambiguous))
    ok = True
    for k in sorted(want):
        same = (want[k] - ambiguous) == (got[k] - ambiguous)
        print("%-14s truth %2d  ledger %2d  %s" % (k, len(want[k]), len(got[k]),
                                                  "equal" if same else "DIFFER"))
        if not same:
            print("   only in truth:", sorted(want[k] - got[k]), " only in ledger:", sorted(got[k] - want[k]))
            ok = False
    status = {r["file_id"]: r["status"] for r in files}
    flagged = set().union(*want.values())
    other = {x["file_id"]: x["kind"] for x in faults}
    clean_not_archived = [f["file_id"] for f in truth["files"]
                          if f["file_id"] not in flagged and status.get(f["file_id"]) != "archived"]
    for fid in clean_not_archived:
        print("note: %s not archived: %s" % (fid, other.get(fid, "no fault recorded")))
        if fid not in other:
            ok = False
    n_clean = sum(1 for f in truth["files"] if f["file_id"] not in flagged)
    print("files without count/corrupt faults: %d, archived: %d" % (n_clean, n_clean - len(clean_not_archived)))
    ok &= check_damaged(damaged, export(quire, ledger, "pages"), faults)
    ok &= check_disk(files, out_dir)
    print("RESULT:", "ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
