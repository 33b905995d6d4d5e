#!/usr/bin/env bash
# End to end: the project office's report. A ledger with history (two
# generated deliveries, one with faults; a stock of undelivered files; a
# plan; a person's rescan job whose reason and a box name are markup) is
# given outcome days spread over seven weeks, so throughput windows, the
# progress line and the projection have something to show. Then:
#   - status --json gives the figures the definitions say (recomputed here
#     from the raw ledger tables and the plan);
#   - quire report --html is rendered in headless Chromium: a screenshot (the
#     charts are drawn) and a PDF print (it prints, with its title);
#   - the distance to the plan (points and days) is as the plan defines it,
#     shown on the page as a red "behind" badge and in status; the
#     projection to 100 % is drawn on the plan chart (DOM and screenshot
#     pixels); the progress chart's ticks are month starts;
#   - every data-key figure of the rendered DOM equals status --json, per box
#     equals status --by box --json, per day equals status --by day --json,
#     and the rescan table has one row per open job;
#   - the page makes no network request: Chromium's net log, filtered to the
#     requests made for the file:// page, is empty, while a control page with
#     one remote image shows that very request; the DOM holds no element or
#     attribute that could load anything, and the markup in ledger strings is
#     text.
# Skips (77) only when Chromium is missing and cannot be installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_init report-html
cd "$work"
Q() { "$QUIRE_BIN" "$@"; }
PY=/usr/bin/python3
export QUIRE_LEDGER="$work/q.db"
export QUIRE_TODAY=2026-03-20

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
      >apt.log 2>&1 || true
  fi
  command -v chromium >/dev/null 2>&1 || e2e_skip "chromium is not installed and cannot be"
fi

# --- the ledger ----------------------------------------------------------------
mk() { $PY "$QUIRE_SRC/tools/make_sample.py" --delivery --pages-min 3 --pages-max 6 "$@" >/dev/null; }
mk --files 7 --seed 51 --faults --out d1
mk --files 6 --seed 52 --out d2
for d in d1 d2; do
  rc=0
  Q ingest -m $d/manifest.csv -o arch --jobs 2 -q $d/scans >$d.out 2>&1 || rc=$?
  [ "$rc" -le 1 ] && ok "ingest $d: exit $rc" || bad "ingest $d: exit $rc: $(tail -n 3 $d.out)"
done
$PY - <<'EOF'
import csv
with open("stock.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["file_id", "box", "expected_pages"])
    for i in range(24):
        w.writerow([f"STOCK-{i:04d}", f"BOX-{2 + i // 8:04d}", 5])
    w.writerow(["ODD-0001", "BOX-<script>alert(1)</script>", 7])
EOF
Q inventory import stock.csv >imp.txt 2>&1 && ok "stock: $(tail -n 1 imp.txt)" || bad "stock: $(cat imp.txt)"
Q plan set 2026-01-15 0 2026-04-30 50 2026-09-30 100 >plan.txt 2>&1 && ok "plan set" ||
  bad "plan set: $(cat plan.txt)"
first=$($PY -c 'import sqlite3; print(sqlite3.connect("q.db").execute("SELECT file_id FROM files WHERE status=\"archived\" AND current=1 ORDER BY file_id LIMIT 1").fetchone()[0])')
Q rescan submit "$first" --pages 2 --by 'Zoë' \
  --reason '<img src="http://quire-probe.invalid/r.png"> & "smudged"' >sub.txt 2>&1 &&
  ok "rescan submit: $(cat sub.txt)" || bad "rescan submit: $(cat sub.txt)"

# History: the outcomes' days spread over seven weeks, jobs submitted on 03-02.
$PY - <<'EOF'
import sqlite3
db = sqlite3.connect("q.db")
days = ["2026-02-02", "2026-02-16", "2026-02-19", "2026-03-02", "2026-03-09", "2026-03-14",
        "2026-03-16", "2026-03-19", "2026-03-20"]
for i, (rid,) in enumerate(db.execute("SELECT id FROM files ORDER BY id").fetchall()):
    db.execute("UPDATE files SET updated=? WHERE id=?", (days[i % len(days)] + "T10:00:00Z", rid))
db.execute("UPDATE rescan_jobs SET submitted='2026-03-02T09:00:00Z'")
db.commit()
EOF

# --- status --json against the definitions ---------------------------------------
Q status --json >status.json
Q status --by box --json >box.json
Q status --by day --json >day.json
Q status --by month --json >month.json
Q status --by batch --json >batch.json
Q status >status.txt
if why=$($PY - <<'EOF'
import datetime as dt, json, math, sqlite3
s = json.load(open("status.json"))
db = sqlite3.connect("q.db")
inv = dict(db.execute("SELECT file_id, coalesce(expected_pages, 0) FROM inventory"))
cur = dict(db.execute("SELECT file_id, status FROM files WHERE current=1"))
first = dict(db.execute("SELECT file_id, substr(updated,1,10) FROM files"
                        " WHERE status='archived' AND version=1"))
today = dt.date(2026, 3, 20)
arch = [f for f in inv if cur.get(f) == "archived"]
def window(n):
    lo = today - dt.timedelta(days=n - 1)
    return sum(inv[f] for f in first if f in inv and lo <= dt.date.fromisoformat(first[f]) <= today)
pending = sum(inv.values()) - sum(inv[f] for f in arch)
p30 = window(30)
want = {
    "files_inventory": len(inv), "pages_inventory": sum(inv.values()),
    "files_archived": len(arch), "pages_archived": sum(inv[f] for f in arch),
    "files_faulty": sum(cur.get(f) == "faulty" for f in inv),
    "files_not_delivered": sum(f not in cur for f in inv),
    "pages_pending": pending, "pages_7d": window(7), "pages_30d": p30,
    "pages_per_day_7d": round(window(7) / 7, 4), "pages_per_day_30d": round(p30 / 30, 4),
    "projected": str(today + dt.timedelta(days=math.ceil(pending * 30 / p30))) if p30 else None,
    # 2026-01-15 0 % .. 2026-04-30 50 %: 64 of 105 days.
    "plan_percent": round(50 * 64 / 105, 4), "plan_end": "2026-09-30",
    "rescan_open": db.execute("SELECT count(*) FROM rescan_jobs WHERE status<>'closed'").fetchone()[0],
    "rescan_oldest_days": 18, "today": "2026-03-20",
}
want["files_pending"] = want["files_faulty"] + want["files_not_delivered"]
want["percent_pages"] = round(100 * want["pages_archived"] / want["pages_inventory"], 4)
bad = [f"{k}={s.get(k)!r} want {v!r}" for k, v in want.items()
       if (abs(s.get(k) - v) > 1e-9 if isinstance(v, float) else s.get(k) != v)]
if s["files_faulty"] < 1 or s["pages_7d"] == 0 or s["rescan_open"] < 2:
    bad.append("the fixture lacks faulty files, recent pages or open jobs")
print("; ".join(bad) if bad else
      f"{len(want)} figures as defined (percent_pages {s['percent_pages']}, "
      f"{s['pages_per_day_7d']} pages/day over 7 days, projected {s['projected']})")
raise SystemExit(1 if bad else 0)
EOF
); then ok "status --json: $why"; else bad "status --json: $why"; fi
grep -q "plan for today 30.48 %" status.txt && ok "status text: plan for today" ||
  bad "status text: $(cat status.txt)"
# The distance to the plan, in points and in days: recomputed from the plan
# (0 % on 01-15, 50 % on 04-30, 100 % on 09-30): the day it reaches today's
# percent of pages, minus today.
if why=$($PY - <<'EOF'
import datetime as dt, json
s = json.load(open("status.json"))
pts = round(s["percent_pages"] - s["plan_percent"], 4)
plan = [(dt.date(2026, 1, 15), 0.0), (dt.date(2026, 4, 30), 50.0), (dt.date(2026, 9, 30), 100.0)]
p = s["percent_pages"]
day = None
for (d0, p0), (d1, p1) in zip(plan, plan[1:]):
    if p0 <= p <= p1:
        day = d0 + dt.timedelta(days=round((p - p0) / (p1 - p0) * (d1 - d0).days))
        break
days = (day - dt.date(2026, 3, 20)).days
ok = abs(s["plan_gap_points"] - pts) < 1e-4 and s["plan_gap_days"] == days and days < 0
print(f"plan_gap_points {s['plan_gap_points']} (want {pts}), plan_gap_days "
      f"{s['plan_gap_days']} (want {days})")
raise SystemExit(0 if ok else 1)
EOF
); then ok "status --json: $why"; else bad "status --json: $why"; fi
grep -q "behind the plan by [0-9.]* points, [0-9]* days" status.txt &&
  ok "status text: $(grep -o 'behind the plan.*' status.txt)" ||
  bad "status text lacks the gap: $(grep digitized status.txt)"

# --- the report --------------------------------------------------------------------
Q report --html report.html >rep.out 2>&1 && [ -s report.html ] && ok "report --html written" ||
  bad "report --html: $(cat rep.out)"
Q report --html x.html --ledger nowhere.db >/dev/null 2>&1 && bad "report without a ledger" ||
  ok "report refuses a missing ledger"

CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --disable-default-apps --disable-extensions --host-resolver-rules="MAP * ~NOTFOUND")
url="file://$work/report.html"
chrome() { timeout 120 "${CHROME[@]}" --user-data-dir="$work/profile-$1" "${@:2}" 2>>chrome.log; }

chrome shot --window-size=1200,3000 --screenshot="$work/shot.png" "$url" >/dev/null
chrome print --print-to-pdf="$work/report.pdf" --no-pdf-header-footer "$url" >/dev/null
chrome dom --log-net-log="$work/net.json" --dump-dom "$url" >dom.html
printf '<!DOCTYPE html><p>probe</p><img src="http://quire-probe.invalid/control.png">\n' >control.html
chrome control --log-net-log="$work/net-control.json" --dump-dom "file://$work/control.html" >/dev/null

if why=$($PY - <<'EOF'
from PIL import Image
im = Image.open("shot.png").convert("RGB")
small = im.resize((300, 750))
px = list(small.getdata())
ink = sum(1 for p in px if sum(p) < 600) / len(px)
green = sum(1 for r, g, b in px if g > r + 40 and g > b + 20) / len(px)
# The plan gap badge (white on red, behind the plan) in the figures at the
# top, and the projection line (purple #7b2cbf) on the progress chart.
top = im.crop((0, 0, 1200, 450))
red = sum(1 for r, g, b in top.getdata() if r > 150 and g < 90 and b < 90)
purple = sum(1 for r, g, b in im.getdata()
             if abs(r - 0x7b) < 40 and abs(g - 0x2c) < 40 and abs(b - 0xbf) < 40)
ok = im.size == (1200, 3000) and ink > 0.02 and green > 0.002 and red > 300 and purple > 150
print(f"{im.size[0]}x{im.size[1]}, {100 * ink:.1f} % ink, {100 * green:.2f} % chart green, "
      f"{red} red px of the plan-gap badge, {purple} px of the projection line")
raise SystemExit(0 if ok else 1)
EOF
); then ok "screenshot: $why"; else bad "screenshot: $why"; fi
pages=$(e2e_pages report.pdf || true)
if [ "${pages:-0}" -ge 1 ] && pdftotext report.pdf - 2>/dev/null | grep -q "Digitization progress"; then
  ok "printed: $pages A4 page(s) with the title"
else
  bad "printed: pages=${pages:-none}"
fi

# --- the DOM against status --json --------------------------------------------------
if why=$($PY - <<'EOF'
import json
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.figs, self.cells, self.bars, self.jobs = [], [], [], [], []
        self.tags, self.attrs, self.style, self.text = set(), set(), "", ""
        self.box = None
        self.gaps, self.proj, self.ticks, self.ticks_done = [], [], [], False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        self.attrs |= set(a)
        if tag == "line" and "data-projected" in a:
            self.proj.append(a["data-projected"])
        if tag == "text" and "data-tick" in a and not self.ticks_done:
            self.ticks.append(a["data-tick"])
        if tag == "tr" and "data-box" in a:
            self.box = a["data-box"]
        if tag == "tr" and "data-job" in a:
            self.jobs.append(a["data-job"])
        if tag == "rect" and "data-day" in a:
            self.bars.append((a["data-day"], a["data-value"]))
        self.stack.append([tag, a, ""])
    def handle_endtag(self, tag):
        if tag == "svg" and self.ticks:
            self.ticks_done = True  # the first chart's ticks: the progress chart
        while self.stack:
            t, a, text = self.stack.pop()
            if "data-gap-points" in a:
                self.gaps.append((a, text.strip()))
            if "data-key" in a:
                self.figs.append((a["data-key"], a["data-value"], text.strip()))
            if "data-field" in a:
                self.cells.append((self.box, a["data-field"], a["data-value"], text.strip()))
            if self.stack:
                self.stack[-1][2] += text
            if t == tag:
                break
    def handle_data(self, data):
        self.text += data
        if self.stack and self.stack[-1][0] == "style":
            self.style += data
        if self.stack:
            self.stack[-1][2] += data

d = Dom()
d.feed(open("dom.html", encoding="utf-8").read())
s = json.load(open("status.json"))
bad = []

def lookup(key):
    v = s
    for part in key.split("."):
        v = v[part]
    return v

def same(key, value, shown, want):
    shown = shown.replace("\u202f", "").replace(" %", "")
    if want is None:
        return value == "null" and shown in ("\u2014", "no target")
    if isinstance(want, bool):
        return False
    if isinstance(want, int):
        return value == str(want) and shown == str(want)
    if isinstance(want, float):
        return value == f"{want:.4f}" and shown == f"{want:.2f}"
    return value == want and shown == want

seen = {}
for key, value, shown in d.figs:
    try:
        want = lookup(key)
    except (KeyError, TypeError):
        bad.append(f"data-key {key} is not in status --json")
        continue
    seen[key] = value
    if not same(key, value, shown, want):
        bad.append(f"{key}: page {value!r}/{shown!r}, status --json {want!r}")
need = ["today", "percent_pages", "percent_files", "plan_percent", "files_inventory",
        "pages_inventory", "files_archived", "pages_archived", "files_faulty",
        "files_not_delivered", "files_pending", "pages_pending", "pages_per_day_7d",
        "pages_per_day_30d", "pages_7d", "pages_30d", "projected", "plan_end",
        "rescan_open", "rescan_oldest_days"]
need += ["faults." + k for k, v in s["faults"].items() if v]
bad += [f"{k} not shown" for k in need if k not in seen]

boxes = {g["key"]: g for g in json.load(open("box.json"))["groups"]}
got = {}
for box, field, value, shown in d.cells:
    got.setdefault(box, {})[field] = (value, shown)
if set(got) != set(boxes):
    bad.append(f"boxes on the page {sorted(got)} != status --by box {sorted(boxes)}")
for box, fields in got.items():
    for field, (value, shown) in fields.items():
        if box in boxes and not same(field, value, shown, boxes[box][field]):
            bad.append(f"box {box} {field}: page {value!r}/{shown!r}, json {boxes[box][field]!r}")

days = [g for g in json.load(open("day.json"))["groups"] if "2026-01-20" <= g["key"] <= "2026-03-20"]
want_bars = [(g["key"], str(g["pages_archived"])) for g in days]
if sorted(d.bars) != want_bars:
    bad.append(f"day bars {sorted(d.bars)} != status --by day {want_bars}")
if len(d.jobs) != s["rescan_open"]:
    bad.append(f"{len(d.jobs)} job rows, rescan_open {s['rescan_open']}")

loaders = {"script", "img", "link", "iframe", "object", "embed", "base", "video", "audio",
           "source", "image", "use", "foreignobject", "form", "input"}
if d.tags & loaders:
    bad.append(f"elements that load: {sorted(d.tags & loaders)}")
fetch_attrs = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster",
               "background", "data", "ping", "http-equiv"}
if d.attrs & fetch_attrs:
    bad.append(f"attributes that load: {sorted(d.attrs & fetch_attrs)}")
if "url(" in d.style or "@import" in d.style:
    bad.append("the style sheet refers to a URL")
for text in ('<img src="http://quire-probe.invalid/r.png"> & "smudged"',
             "BOX-<script>alert(1)</script>"):
    if text not in d.text:
        bad.append(f"ledger text not shown as text: {text}")
gaps = [(a, t) for a, t in d.gaps]
want_days = "null" if s["plan_gap_days"] is None else str(s["plan_gap_days"])
if len(gaps) != 1 or gaps[0][0].get("data-gap-points") != f"{s['plan_gap_points']:.4f}" or \
        gaps[0][0].get("data-gap-days") != want_days or "gap behind" != gaps[0][0].get("class") \
        or f"{abs(s['plan_gap_days'])} days" not in gaps[0][1]:
    bad.append(f"plan gap on the page {gaps} != status --json {s['plan_gap_points']}, "
               f"{s['plan_gap_days']}")
if d.proj != [s["projected"]]:
    bad.append(f"projection lines {d.proj} != status --json projected {s['projected']}")
if not d.ticks or not all(len(t) == 7 for t in d.ticks):
    bad.append(f"progress chart ticks not on month starts: {d.ticks[:5]}")
print("; ".join(bad[:8]) if bad else
      f"{len(d.figs)} figures, {len(d.cells)} box cells ({len(boxes)} boxes), "
      f"{len(d.bars)} day bars, {len(d.jobs)} job rows equal status --json; nothing that loads")
raise SystemExit(1 if bad else 0)
EOF
); then ok "DOM: $why"; else bad "DOM: $why"; fi

# --- no network request -------------------------------------------------------------
netcheck() { # NETLOG: the URLs requested for the file:// page, one per line
  $PY - "$1" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
urls = set()
for e in log["events"]:
    p = e.get("params", {})
    # Requests made for a page opened from file:// carry it as their top
    # frame; Chromium's own background requests do not.
    if e["type"] == start and "file://" in p.get("network_isolation_key", ""):
        urls.add(p["url"])
print("\n".join(sorted(u for u in urls if not u.startswith("file://"))))
EOF
}
report_reqs=$(netcheck net.json)
control_reqs=$(netcheck net-control.json)
if [ "$control_reqs" = "http://quire-probe.invalid/control.png" ]; then
  ok "net log sees a page's request (control page: $control_reqs)"
else
  bad "net log control: got '${control_reqs}'"
fi
[ -z "$report_reqs" ] && ok "report: no network request in the net log" ||
  bad "report made requests: $report_reqs"
e2e_finish
