#!/usr/bin/python3
"""qc_light_oracle.py: how far a faded bitonal page can be told from a clean one.

Why: quire judges a bitonal page too light from what the scanner's threshold
left of it (marks broken into dots, strokes thinner than print). A page whose
ink sat well under the threshold keeps whole strokes, a little thinner, and
no single page shows what they were before. This script asks the question
with more knowledge than quire can have: it compares each page with the
clean pages of the same file made from the same original (the truth names
it), on the two measures that fading changes, the share of black and the
stroke width. If even that comparison overlaps with the spread of clean
pages, no detector working from the delivered image can reach the target
recall without false alarms.

Usage:
  bench_qc_probe BATCH < list > probe.tsv     (list: the bitonal page paths)
  /usr/bin/python3 bench/qc_light_oracle.py --batch BATCH probe.tsv [probe2.tsv ...]
with one --batch per probe file, in the same order. Standard library only.
"""
import argparse
import csv
import json
import statistics
import sys


def load(batch, probe):
    with open(f"{batch}/truth.json") as fh:
        truth = json.load(fh)
    pages = {}
    for f in truth["files"]:
        for p in f["pages"]:
            pages[(p["path"], p.get("tiff_page") or 1)] = (f["file_id"], p)
    rows = []
    with open(probe) as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            if r.get("depth") == "ERROR":
                continue
            key = (r["path"], int(r["page"]))
            if key not in pages:
                continue
            fid, p = pages[key]
            if p.get("blank") or not p.get("intact", True):
                continue
            kinds = [x["kind"] for x in p["faults"]]
            if kinds and kinds != ["too_light"]:
                continue
            rows.append(dict(file=fid, page=p["delivered"], source=p["source"],
                             faded=bool(kinds), ink=float(r["ink"]),
                             stroke=float(r["stroke"])))
    return rows


def ratios(rows):
    """Each page's ink share and stroke width over the median of its clean
    siblings (same file, same original; at least two)."""
    groups = {}
    for r in rows:
        groups.setdefault((r["file"], r["source"]), []).append(r)
    out = []
    for group in groups.values():
        for r in group:
            sib = [x for x in group if x is not r and not x["faded"]]
            if len(sib) < 2:
                continue
            ink = statistics.median(x["ink"] for x in sib)
            stroke = statistics.median(x["stroke"] for x in sib)
            if ink <= 0 or stroke <= 0 or r["stroke"] <= 0:
                continue
            out.append(dict(r, ink_ratio=r["ink"] / ink, stroke_ratio=r["stroke"] / stroke))
    return out


def quantile(values, q):
    v = sorted(values)
    return v[int(q * (len(v) - 1))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", action="append", required=True)
    ap.add_argument("probe", nargs="+")
    a = ap.parse_args()
    if len(a.batch) != len(a.probe):
        sys.exit("one --batch per probe file")
    out = []
    for batch, probe in zip(a.batch, a.probe):
        out += ratios(load(batch, probe))
    clean = [r for r in out if not r["faded"]]
    faded = [r for r in out if r["faded"]]
    if not clean or not faded:
        sys.exit("no clean or no faded page with two clean siblings")
    scores = {
        "ink share": lambda r: r["ink_ratio"],
        "stroke width": lambda r: r["stroke_ratio"],
        "either (the smaller ratio)": lambda r: min(r["ink_ratio"], r["stroke_ratio"]),
        "both (the larger ratio)": lambda r: max(r["ink_ratio"], r["stroke_ratio"]),
    }
    print(f"pages with two or more clean siblings: {len(clean)} clean, {len(faded)} faded")
    print("ratio to the clean siblings' median; the limit keeps false alarms to 2 per")
    print("1,000 clean pages (their 0.2 % quantile); recall = faded pages under it")
    best = None
    for name, score in scores.items():
        limit = quantile([score(r) for r in clean], 0.002)
        found = sum(1 for r in faded if score(r) < limit)
        recall = found / len(faded)
        print(f"  {name:28s} limit {limit:.3f}: {found:3d} of {len(faded)}, recall {recall:.2f}")
        if best is None or recall > best[1]:
            best = (name, recall, limit, score)
    name, recall, limit, score = best
    print(f"faded pages the best measure ({name}) leaves above its limit:")
    for r in sorted(faded, key=score, reverse=True):
        if score(r) < limit:
            break
        print(f"  {r['file']} p{r['page']} [{r['source']}]: ink {r['ink_ratio']:.2f}, "
              f"stroke {r['stroke_ratio']:.2f}")


if __name__ == "__main__":
    main()
