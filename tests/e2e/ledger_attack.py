#!/usr/bin/python3
"""ledger_attack.py LEDGER ACTION [ARGS] - change a quire ledger behind quire's back.

What someone with write access to the SQLite file can do, for the tamper
tests of quire verify. The events table refuses UPDATE and DELETE through
triggers; an attacker drops them first, as every action here does. The
hash of an event and the digest of rows are recomputed with the rules the
ledger documents (ledger/events.c, ledger/digest.c), so "recompute" leaves
a chain and digests that hold: only a seal can tell.

Actions:
  edit-page FILE_ID PAGE COLUMN VALUE   UPDATE one page row of the file's current outcome
  edit-file FILE_ID COLUMN VALUE        UPDATE the file's current files row
  delete-event ID                       DELETE one event
  swap-events ID                        swap events ID and ID+1 (their ids)
  insert-event ID                       insert a made-up event after event ID
  refresh FILE_ID                       recompute the file's current outcome digest in its event
  rechain                               recompute every event's prev_hash and hash
  forge-seal N                          make seal N's head the chain's current hash there
  drop-seals                            delete every seal event
  append-event KIND DETAIL              append an event, chained as quire would
  seal-detail N                         print seal N's detail (the forged seal file)
Standard library only.
"""
import hashlib
import json
import sqlite3
import struct
import sys

GENESIS = "0" * 64
OUTCOME_SETS = {
    "files": "SELECT id, file_id, version, status, archive_path, archive_sha256,"
             " source_fingerprint, batch, pages, updated FROM files WHERE id = ?",
    "pages": "SELECT outcome, file_id, version, page, source, source_sha256, format, width,"
             " height, dpi, skew_deg, skew_applied_deg, orientation, rotation_applied, metrics,"
             " verdict, batch, origin_batch, source_path, source_member, source_page, separator"
             " FROM pages WHERE outcome = ? ORDER BY page",
    "faults": "SELECT id, outcome, file_id, version, page, kind, value, threshold, detail,"
              " batch, accepted FROM faults WHERE outcome = ? ORDER BY id",
}


def digest(db, name, sql, key):
    """ledger/digest.c: SHA-256 of the rows, each column type-tagged."""
    h = hashlib.sha256(b"quire-rows/1\n" + name.encode() + b"\n")
    n = 0
    for row in db.execute(sql, (key,)):
        h.update(b"r")
        for v in row:
            if v is None:
                h.update(b"n")
            elif isinstance(v, int):
                h.update(b"i" + struct.pack(">q", v))
            elif isinstance(v, float):
                h.update(b"f" + struct.pack(">d", v))
            else:
                b = v.encode() if isinstance(v, str) else bytes(v)
                h.update((b"t" if isinstance(v, str) else b"b") + struct.pack(">Q", len(b)) + b)
        n += 1
    return h.hexdigest(), n


def event_hash(prev, fields):
    """ledger/events.c: prev, then each field as "-" or "<length>:<bytes>"."""
    h = hashlib.sha256(prev.encode())
    for f in fields:
        if f is None:
            h.update(b"-")
        else:
            b = f.encode()
            h.update(str(len(b)).encode() + b":" + b)
    return h.hexdigest()


def rechain(db):
    prev = GENESIS
    rows = db.execute("SELECT id, ts, batch, file_id, kind, actor, detail FROM events"
                      " ORDER BY id").fetchall()
    for r in rows:
        fields = (str(r[0]), r[1], None if r[2] is None else str(r[2]), r[3], r[4], r[5], r[6])
        h = event_hash(prev, fields)
        db.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", (prev, h, r[0]))
        prev = h


def current_outcome(db, file_id):
    return db.execute("SELECT id FROM files WHERE file_id = ? AND current = 1",
                      (file_id,)).fetchone()[0]


def refresh(db, file_id):
    row = current_outcome(db, file_id)
    for eid, detail in db.execute("SELECT id, detail FROM events WHERE file_id = ?"
                                  " AND kind IN ('archived', 'faulty')", (file_id,)).fetchall():
        d = json.loads(detail)
        if d.get("rows", {}).get("key") != row:
            continue
        for name, sql in OUTCOME_SETS.items():
            d["rows"][name], d["rows"]["n_" + name] = digest(db, name, sql, row)
        db.execute("UPDATE events SET detail = ? WHERE id = ?",
                   (json.dumps(d, separators=(",", ":"), ensure_ascii=False), eid))


def seal_event(db, n):
    for eid, detail in db.execute("SELECT id, detail FROM events WHERE kind = 'seal'"):
        if json.loads(detail)["seal"] == int(n):
            return eid, json.loads(detail)
    sys.exit("no seal %s" % n)


def shift_after(db, eid, by):
    """Move events after eid by `by` (through negative ids: the key is unique)."""
    db.execute("UPDATE events SET id = -id WHERE id > ?", (eid,))
    db.execute("UPDATE events SET id = -id + ? WHERE id < 0", (by,))


def main():
    db = sqlite3.connect(sys.argv[1])
    act, args = sys.argv[2], sys.argv[3:]
    db.execute("DROP TRIGGER IF EXISTS events_no_update")
    db.execute("DROP TRIGGER IF EXISTS events_no_delete")
    if act == "edit-page":
        db.execute("UPDATE pages SET %s = ? WHERE outcome = ? AND page = ?" % args[2],
                   (args[3], current_outcome(db, args[0]), int(args[1])))
    elif act == "edit-file":
        db.execute("UPDATE files SET %s = ? WHERE id = ?" % args[1],
                   (args[2], current_outcome(db, args[0])))
    elif act == "delete-event":
        db.execute("DELETE FROM events WHERE id = ?", (int(args[0]),))
    elif act == "swap-events":
        a = int(args[0])
        db.execute("UPDATE events SET id = -1 WHERE id = ?", (a,))
        db.execute("UPDATE events SET id = ? WHERE id = ?", (a, a + 1))
        db.execute("UPDATE events SET id = ? WHERE id = -1", (a + 1,))
    elif act == "insert-event":
        a = int(args[0])
        prev = db.execute("SELECT hash FROM events WHERE id = ?", (a,)).fetchone()[0]
        shift_after(db, a, 1)
        fields = (str(a + 1), "2023-11-14T22:13:20Z", None, None, "plan_set", "mallory",
                  '{"replace_all":false,"points":[]}')
        db.execute("INSERT INTO events(id, ts, batch, file_id, kind, actor, detail, prev_hash,"
                   " hash) VALUES(?,?,?,?,?,?,?,?,?)",
                   (a + 1,) + fields[1:] + (prev, event_hash(prev, fields)))
    elif act == "refresh":
        refresh(db, args[0])
    elif act == "rechain":
        rechain(db)
    elif act == "forge-seal":
        eid, d = seal_event(db, args[0])
        d["head"] = db.execute("SELECT hash FROM events WHERE id = ?",
                               (d["head_id"],)).fetchone()[0]
        db.execute("UPDATE events SET detail = ? WHERE id = ?",
                   (json.dumps(d, separators=(",", ":")), eid))
    elif act == "drop-seals":
        for (eid,) in db.execute("SELECT id FROM events WHERE kind = 'seal' ORDER BY id DESC"
                                 ).fetchall():
            db.execute("DELETE FROM events WHERE id = ?", (eid,))
            shift_after(db, eid, -1)
    elif act == "append-event":
        last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        fields = (str(last[0] + 1), "2023-11-14T22:13:20Z", None, None, args[0], "mallory",
                  args[1])
        db.execute("INSERT INTO events(id, ts, batch, file_id, kind, actor, detail, prev_hash,"
                   " hash) VALUES(?,?,?,?,?,?,?,?,?)",
                   (last[0] + 1,) + fields[1:] + (last[1], event_hash(last[1], fields)))
    elif act == "seal-detail":
        print(json.dumps(seal_event(db, args[0])[1], separators=(",", ":")))
    else:
        sys.exit("unknown action " + act)
    db.commit()
    db.close()


main()
