#!/usr/bin/python3
"""Accuracy harness: run `quire ingest` on a generated delivery and score its
page checks against the generator's ground truth (truth.json).

Why a separate program: quire's own tests prove that each detector works on
chosen pages; only a whole delivery with exact truth says how often quire is
right in practice, and the project's targets (precision and recall >= 0.98
per fault kind, <= 2 false flags per 1,000 clean pages, skew error, orientation
accuracy) are stated over such deliveries. The harness reads quire only through
its public interface (`quire ingest`, `quire export ... --format json`), so it
scores what a records office would see.

How truth is matched (see bench/README.md for the full rules):
* page-level kinds are matched per (file_id, delivered page): quire's page
  number is the 1-based delivered position;
* missing_pages / extra_pages are matched per file, whatever page quire names;
* a multi-page container that was damaged on purpose loses pages: its
  `corrupt` is matched once per file, the pages it lost are not scored, and
  page-count faults on it are consequences, not errors;
* upside_down / sideways are scored as orientation accuracy (the rotation
  found, or an `orientation` fault raised), not as a fault kind.

Standard library only: it must run wherever the corpus generator runs.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TARGET_PR = 0.98          # precision and recall per kind
TARGET_FALSE_FLAGS = 2.0  # per 1,000 clean pages
TARGET_SKEW_MAE = 0.1     # degrees
TARGET_SKEW_MAX = 0.5     # degrees
TARGET_ORIENT = 0.99      # share of text pages
SKEW_RANGE = 5.0          # |content skew| evaluated, degrees
NO_INK_LEFT = 0.001       # bitonal pages this empty (truth black_fraction) show no skew

# Truth kind -> quire kind. None: scored by the orientation section.
TRUTH_TO_QUIRE = {
    'blank': 'blank', 'duplicate': 'duplicate', 'streaks': 'streaks',
    'too_dark': 'too_dark', 'too_light': 'too_light',
    'low_resolution': 'low_dpi', 'heavy_skew': 'skew', 'cropped': 'cropped',
    'truncated': 'corrupt', 'corrupt_header': 'corrupt',
    'missing_page': 'missing_pages', 'extra_page': 'extra_pages',
    'upside_down': None, 'sideways': None,
}
CONTAINER_DAMAGE = ('truncated', 'corrupt_header')
FILE_KINDS = ('missing_pages', 'extra_pages', 'unexpected_file')
KIND_ORDER = ('blank', 'duplicate', 'streaks', 'too_dark', 'too_light',
              'low_dpi', 'skew', 'cropped', 'orientation', 'corrupt',
              'missing_pages', 'extra_pages', 'unexpected_file')
# Corpus tags that make a source page "text" (printed words in lines) and
# those that give a measurable skew without words (staff lines).
TEXT_TAGS = ('text', 'form', 'table')
LINE_TAGS = ('music',)
LIST_MAX = 20


# ---------------------------------------------------------------- running

def parse_args(argv):
    ap = argparse.ArgumentParser(
        description='Score quire page checks against a make_batch.py truth.json.')
    ap.add_argument('--quire', default=os.environ.get('QUIRE_BIN'),
                    help='the quire binary (default $QUIRE_BIN)')
    ap.add_argument('--batch', required=True,
                    help='batch directory from make_batch.py (manifest.csv, scans/, truth.json)')
    ap.add_argument('--work', help='working directory (default: a temporary one)')
    ap.add_argument('--jobs', type=int, default=2, help='quire ingest --jobs (default 2)')
    ap.add_argument('--keep', action='store_true', help='keep the temporary working directory')
    ap.add_argument('--json', metavar='OUT', help='write the figures as JSON to OUT')
    ap.add_argument('--no-run', action='store_true',
                    help='do not ingest: evaluate the ledger already in --work')
    ap.add_argument('--ledger', help='ledger to evaluate (default WORK/quire.db)')
    ap.add_argument('--sources', help='corpus sources.json (default: found from truth args)')
    ap.add_argument('--check', action='store_true', help='exit 1 when any target is missed')
    a = ap.parse_args(argv)
    if not a.quire:
        ap.error('--quire is required (or set QUIRE_BIN)')
    if a.no_run and not (a.work or a.ledger):
        ap.error('--no-run needs --work or --ledger')
    return a


def run_ingest(a, batch, work, ledger):
    """Ingest the batch into a fresh ledger; returns (exit code, seconds)."""
    for name in ('out', 'quire.db', 'quire.db-wal', 'quire.db-shm', 'log.jsonl'):
        p = os.path.join(work, name)
        if os.path.isdir(p):
            shutil.rmtree(p)
        elif os.path.exists(p):
            os.remove(p)
    cmd = [a.quire, 'ingest', '--manifest', os.path.join(batch, 'manifest.csv'),
           '--out', os.path.join(work, 'out'), '--ledger', ledger, '--quiet',
           '--jobs', str(a.jobs), '--log-json', os.path.join(work, 'log.jsonl'),
           os.path.join(batch, 'scans')]
    t0 = time.monotonic()
    with open(os.path.join(work, 'ingest.stderr'), 'wb') as err:
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=err).returncode
    return rc, time.monotonic() - t0


def export(quire, what, ledger):
    out = subprocess.run([quire, 'export', what, '--format', 'json', '--ledger', ledger],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if out.returncode != 0:
        sys.exit('qc_eval: quire export %s failed: %s' % (what, out.stderr.decode(errors='replace')))
    return json.loads(out.stdout.decode('utf-8'))


def read_log(path):
    events = []
    if path and os.path.exists(path):
        with open(path, encoding='utf-8', errors='replace') as f:
            for line in f:
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass
    return events


# ---------------------------------------------------------------- sources

def find_sources(a, truth, batch):
    """The corpus sources.json that tells text pages from pictures."""
    if a.sources:
        return a.sources
    src = str(truth.get('args', {}).get('src', 'real'))
    here = os.path.dirname(os.path.abspath(__file__))
    cands = []
    if os.path.isabs(src):
        cands.append(os.path.join(src, 'sources.json'))
    if os.environ.get('QUIRE_SHARED'):
        cands.append(os.path.join(os.environ['QUIRE_SHARED'], 'corpus', src, 'sources.json'))
    cands.append(os.path.join(here, '..', '..', 'shared', 'corpus', src, 'sources.json'))
    cands.append(os.path.join(batch, '..', src, 'sources.json'))
    for c in cands:
        if os.path.isfile(c):
            return os.path.normpath(c)
    return None


def classify_sources(truth, sources_path):
    """name -> 'text' | 'lines' | 'picture' | 'blank' | 'separator'."""
    tags = {}
    if sources_path:
        with open(sources_path, encoding='utf-8') as f:
            for e in json.load(f).get('files', []):
                tags[e.get('file')] = set(e.get('tags') or [])
    cls = {}
    for s in truth.get('sources', []):
        name, role = s.get('name'), s.get('role')
        t = tags.get(name)
        if role in ('blank', 'separator'):
            cls[name] = role
        elif t is None:
            cls[name] = 'text'   # unknown: counted as text, reported as such
        elif t & set(TEXT_TAGS):
            cls[name] = 'text'
        elif t & set(LINE_TAGS):
            cls[name] = 'lines'
        else:
            cls[name] = 'picture'
    return cls


# ---------------------------------------------------------------- truth model

class Truth:
    """truth.json reduced to what is scored."""

    def __init__(self, truth, src_class):
        self.files = {}
        self.pages = {}         # (fid, n) -> page record
        self.page_kinds = {}    # (fid, n) -> set of quire kinds (page level)
        self.rotated = {}       # (fid, n) -> truth orientation when != 0
        self.lost = set()       # pages lost with a damaged container
        self.lost_faults = 0
        self.file_kinds = {}    # fid -> set of quire kinds (file level)
        self.damaged = set()    # fids whose container was damaged
        self.unknown_kinds = set()
        self.src_class = src_class
        for f in truth['files']:
            self._add_file(f)

    def _add_file(self, f):
        fid = f['file_id']
        self.files[fid] = f
        kinds = set()
        for ff in f.get('file_faults', []):
            k = ff.get('kind')
            if k in CONTAINER_DAMAGE:
                self.damaged.add(fid)
                kinds.add('corrupt')
            elif k in ('missing_page', 'extra_page'):
                kinds.add(TRUTH_TO_QUIRE[k])
        self.file_kinds[fid] = kinds
        for p in f['pages']:
            self._add_page(fid, p, kinds)

    def _add_page(self, fid, p, file_kinds):
        key = (fid, p['delivered'])
        self.pages[key] = p
        if fid in self.damaged and not p.get('intact', True):
            self.lost.add(key)
            self.lost_faults += len(p.get('faults', []))
            return
        ks = set()
        for flt in p.get('faults', []):
            k = flt.get('kind')
            if k not in TRUTH_TO_QUIRE:
                self.unknown_kinds.add(k)
                ks.add(k)
                continue
            q = TRUTH_TO_QUIRE[k]
            if q == 'extra_pages':
                file_kinds.add(q)
            elif q is not None:
                ks.add(q)
        self.page_kinds[key] = ks
        if p.get('orientation', 0):
            self.rotated[key] = p['orientation']

    def is_clean(self, key):
        fid = key[0]
        p = self.pages[key]
        return (key not in self.lost and not p.get('faults')
                and not self.file_kinds[fid])

    def source_class(self, p):
        return self.src_class.get(p.get('source'), 'text')


# ---------------------------------------------------------------- quire model

class Quire:
    """The two exports, indexed."""

    def __init__(self, pages, faults):
        self.pages = {(r['file_id'], int(r['page'])): r for r in pages}
        self.faults = [dict(r, page=int(r.get('page') or 0)) for r in faults]
        self.at = {}            # (fid, n) -> [fault]
        self.by_file = {}       # fid -> [fault]
        for r in self.faults:
            self.at.setdefault((r['file_id'], r['page']), []).append(r)
            self.by_file.setdefault(r['file_id'], []).append(r)

    def read(self, key):
        """The page's export row when quire decoded the page, else None."""
        r = self.pages.get(key)
        if r is None or r.get('format') == 'unreadable' or 'corrupt' in self.kinds_at(key):
            return None
        return r

    def kinds_at(self, key):
        return {r['kind'] for r in self.at.get(key, [])}

    def file_has(self, fid, kind):
        return [r for r in self.by_file.get(fid, []) if r['kind'] == kind]


def fault_text(r):
    s = '%s p%s %s value=%s threshold=%s' % (r['file_id'], r['page'], r['kind'],
                                              r.get('value'), r.get('threshold'))
    if r.get('detail'):
        s += ' (%s)' % r['detail']
    return s


# ---------------------------------------------------------------- scoring

class Score:
    def __init__(self):
        self.tp, self.fp, self.fn = {}, {}, {}
        self.fp_list, self.fn_list = [], []
        self.ignored = []
        self.same_source_dup = 0   # duplicate FPs on same-source neighbours

    def add(self, kind, t, q, what):
        if t and q:
            self.tp[kind] = self.tp.get(kind, 0) + 1
        elif q:
            self.fp[kind] = self.fp.get(kind, 0) + 1
            self.fp_list.append(what)
        elif t:
            self.fn[kind] = self.fn.get(kind, 0) + 1
            self.fn_list.append(what)


def page_label(tr, key):
    p = tr.pages.get(key)
    src = (' [%s, %s]' % (p.get('source'), p.get('kind'))) if p else ''
    return '%s p%d%s' % (key[0], key[1], src)


def score_faults(tr, qu):
    sc = Score()
    page_level = set(KIND_ORDER) - set(FILE_KINDS) - {'orientation', 'corrupt'}
    for r in qu.faults:
        if r['kind'] not in KIND_ORDER:
            page_level.add(r['kind'])
    for k in tr.unknown_kinds:
        page_level.add(k)
    score_pages(tr, qu, sc, page_level)
    score_corrupt(tr, qu, sc)
    score_orientation_kind(tr, qu, sc)
    score_files(tr, qu, sc)
    score_strays(tr, qu, sc)
    return sc


def same_source_neighbour(tr, key):
    """True when the previous delivered page was rendered from the same
    source page: the generator repeats a source when a file's pool offers no
    other of the page's colour kind, so the two sheets carry the same content
    (not a double feed by the truth, but alike to any duplicate check)."""
    prev = tr.pages.get((key[0], key[1] - 1))
    return bool(prev and prev.get('source') == tr.pages[key].get('source'))


def score_pages(tr, qu, sc, kinds):
    for key, tk in sorted(tr.page_kinds.items()):
        qk = qu.kinds_at(key)
        for k in kinds:
            what = '%s: %s' % (k, page_label(tr, key)) + ''.join(
                ' | quire: ' + fault_text(r) for r in qu.at.get(key, []) if r['kind'] == k)
            if k == 'duplicate' and k in qk and k not in tk and same_source_neighbour(tr, key):
                sc.same_source_dup += 1
                what += ' (same source as the page before)'
            sc.add(k, k in tk, k in qk, what)


def score_corrupt(tr, qu, sc):
    """Per page, except damaged containers: once per file."""
    for key, tk in sorted(tr.page_kinds.items()):
        if key[0] in tr.damaged:
            continue
        q = 'corrupt' in qu.kinds_at(key)
        sc.add('corrupt', 'corrupt' in tk, q, 'corrupt: %s' % page_label(tr, key))
    for fid in sorted(tr.damaged):
        q = qu.file_has(fid, 'corrupt')
        sc.add('corrupt', True, bool(q), 'corrupt: %s (damaged container)%s' % (
            fid, ''.join(' | quire: ' + fault_text(r) for r in q)))


def score_orientation_kind(tr, qu, sc):
    """An `orientation` fault is right on a rotated page, a false alarm
    elsewhere; rotated pages without it are scored by orientation accuracy."""
    for key in sorted(tr.page_kinds):
        if 'orientation' in qu.kinds_at(key):
            sc.add('orientation', key in tr.rotated, True,
                   'orientation: %s' % page_label(tr, key))
        elif key in tr.rotated:
            sc.tp.setdefault('orientation', 0)


def score_files(tr, qu, sc):
    for fid in sorted(tr.files):
        for k in ('missing_pages', 'extra_pages'):
            t = k in tr.file_kinds[fid]
            q = qu.file_has(fid, k)
            if fid in tr.damaged and not t and q:
                sc.ignored.extend(fault_text(r) + ' (container damaged)' for r in q)
                continue
            sc.add(k, t, bool(q), '%s: %s (expected %s, delivered %s)%s' % (
                k, fid, tr.files[fid]['expected_pages'], tr.files[fid]['delivered_pages'],
                ''.join(' | quire: ' + fault_text(r) for r in q)))
        for r in qu.file_has(fid, 'unexpected_file'):
            sc.add('unexpected_file', False, True, fault_text(r))


def score_strays(tr, qu, sc):
    """quire faults that name no page of the truth: other files, pages past
    the delivery's end, pages lost with their container."""
    for r in qu.faults:
        fid, n, k = r['file_id'], r['page'], r['kind']
        key = (fid, n)
        if fid not in tr.files:
            sc.add(k, False, True, fault_text(r) + ' (file not in truth)')
        elif key in tr.lost:
            if not (k == 'corrupt' and fid in tr.damaged):
                sc.ignored.append(fault_text(r) + ' (page lost with its container)')
        elif n > 0 and key not in tr.pages and k not in FILE_KINDS:
            if not (k == 'corrupt' and fid in tr.damaged):
                sc.add(k, False, True, fault_text(r) + ' (no such delivered page)')


def ratio(a, b):
    return a / b if b else None


def kind_table(sc, tr):
    kinds = list(KIND_ORDER) + sorted((set(sc.tp) | set(sc.fp) | set(sc.fn)) - set(KIND_ORDER))
    rows = []
    for k in kinds:
        tp, fp, fn = sc.tp.get(k, 0), sc.fp.get(k, 0), sc.fn.get(k, 0)
        prec = ratio(tp, tp + fp)
        rec = None if k == 'orientation' else ratio(tp, tp + fn)
        present = tp + fp + fn > 0 or k in sc.tp
        ok = (prec is None or prec >= TARGET_PR) and (rec is None or rec >= TARGET_PR)
        rows.append(dict(kind=k, tp=tp, fp=fp, fn=None if k == 'orientation' else fn,
                         precision=prec, recall=rec, present=present,
                         meets=ok if present else None))
    return rows


def false_flags(tr, qu):
    clean = [k for k in tr.pages if k in tr.page_kinds and tr.is_clean(k)]
    flags, flagged = [], set()
    for key in sorted(clean):
        for r in qu.at.get(key, []):
            if r['kind'] not in FILE_KINDS:
                flags.append(fault_text(r) + ' [%s]' % tr.pages[key].get('source'))
                flagged.add(key)
    per_k = 1000.0 * len(flags) / len(clean) if clean else None
    return dict(clean_pages=len(clean), false_flags=len(flags), per_1000=per_k,
                pages_flagged=len(flagged), list=flags, meets=per_k is not None and per_k <= TARGET_FALSE_FLAGS)


def skew_eligible(tr, qu, key):
    """None when the page is scored, else the reason it is not."""
    p = tr.pages[key]
    if key in tr.lost or not p.get('intact', True):
        return 'not intact'
    if p.get('blank'):
        return 'blank'
    if p.get('kind') == 'bitonal' and p.get('black_fraction') is not None and \
            p['black_fraction'] < NO_INK_LEFT:
        # faded strokes that fell below the scanner's threshold: the delivered
        # image is an empty sheet, whatever the truth's angle
        return 'no ink left (bitonal, < %g %% black)' % (100 * NO_INK_LEFT)
    if p.get('content_skew_deg') is None:
        return 'no truth skew'
    cls = tr.source_class(p)
    if cls not in ('text', 'lines'):
        return 'source is %s' % cls
    if any(f.get('kind') == 'heavy_skew' for f in p.get('faults', [])):
        return 'heavy_skew'
    if abs(p['content_skew_deg']) > SKEW_RANGE:
        return '|skew| > %g' % SKEW_RANGE
    rot = p.get('orientation', 0)
    if rot and (key not in qu.pages or qu.pages[key].get('orientation') != rot):
        return 'rotation not found'
    return None


def skew_eval(tr, qu):
    errs, skipped, unmeasured = [], {}, []
    for key in sorted(tr.pages):
        why = skew_eligible(tr, qu, key)
        if why:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        p = tr.pages[key]
        q = qu.read(key)
        if q is None or q.get('skew_deg') is None:
            unmeasured.append(page_label(tr, key))
            continue
        e = float(q['skew_deg']) - float(p['content_skew_deg'])
        errs.append((abs(e), e, key, p, float(q['skew_deg'])))
    return summarize_skew(tr, errs, skipped, unmeasured)


def summarize_skew(tr, errs, skipped, unmeasured):
    n = len(errs)
    res = dict(count=n, skipped=skipped, unmeasured=unmeasured)
    if not n:
        res.update(mae=None, max=None, meets=False)
        return res
    worst = max(errs, key=lambda e: e[0])
    clean = [e[0] for e in errs if not e[3].get('faults')]
    by_src = {}
    for e in errs:
        by_src.setdefault(e[3].get('source'), []).append(e[0])
    res.update(
        mae=sum(e[0] for e in errs) / n, max=worst[0],
        worst=dict(page=page_label(tr, worst[2]), truth=worst[3]['content_skew_deg'],
                   quire=worst[4], error=worst[1]),
        within_0_1=sum(e[0] <= 0.1 for e in errs) / n,
        within_0_5=sum(e[0] <= 0.5 for e in errs) / n,
        mae_fault_free=(sum(clean) / len(clean)) if clean else None,
        fault_free_count=len(clean),
        by_source={s: dict(n=len(v), mae=sum(v) / len(v), max=max(v)) for s, v in by_src.items()},
        worst_pages=[dict(page=page_label(tr, e[2]), truth=e[3]['content_skew_deg'],
                          quire=e[4], error=round(e[1], 4))
                     for e in sorted(errs, key=lambda e: -e[0])[:LIST_MAX]])
    res['meets'] = (res['mae'] <= TARGET_SKEW_MAE and res['max'] <= TARGET_SKEW_MAX
                    and not unmeasured)
    return res


def orientation_eval(tr, qu):
    n = right = nrot = rightrot = 0
    wrong = []
    for key in sorted(tr.pages):
        p = tr.pages[key]
        if key in tr.lost or not p.get('intact', True) or p.get('blank'):
            continue
        if tr.source_class(p) != 'text':
            continue
        t = p.get('orientation', 0)
        q = qu.read(key)
        qo = q.get('orientation') if q else None
        flagged = 'orientation' in qu.kinds_at(key)
        ok = qo == t or (flagged and t != 0)
        n += 1
        right += ok
        if t:
            nrot += 1
            rightrot += ok
        if not ok:
            wrong.append('%s: truth %s, quire %s%s' % (
                page_label(tr, key), t, 'did not read the page' if q is None else qo,
                ', orientation fault' if flagged else ''))
    acc = ratio(right, n)
    return dict(pages=n, right=right, accuracy=acc, rotated=nrot, rotated_right=rightrot,
                rotated_accuracy=ratio(rightrot, nrot), wrong=wrong,
                meets=acc is not None and acc >= TARGET_ORIENT)


def alignment(tr, qu):
    """Checks the page numbering the matching relies on: a page quire read
    has the delivered page's pixel size (either way round)."""
    same = diff = 0
    wrong, missing = [], []
    for key, p in sorted(tr.pages.items()):
        q = qu.read(key)
        if key in tr.lost or not p.get('intact', True):
            continue
        if q is None:
            missing.append(page_label(tr, key))
            continue
        if {q.get('width'), q.get('height')} == {p.get('width'), p.get('height')}:
            same += 1
        else:
            diff += 1
            wrong.append('%s: truth %sx%s, quire %sx%s' % (
                page_label(tr, key), p.get('width'), p.get('height'), q.get('width'), q.get('height')))
    extra = sorted('%s p%d' % k for k in qu.pages if k[0] in tr.files and k not in tr.pages)
    return dict(matching=same, differing=diff, differing_list=wrong,
                unread=missing, pages_not_in_truth=extra)


STAGE_EVENT_SKIP = ('ts', 'event', 'pages')


def stage_times(events):
    """Per-stage CPU seconds: quire's "stages" event (one number per stage at
    the top level), or any event that carries a `stages` object."""
    for ev in reversed(events):
        if ev.get('event') == 'stages':
            out = {k: float(v) for k, v in ev.items()
                   if k not in STAGE_EVENT_SKIP and isinstance(v, (int, float))}
            if out:
                return dict(event='stages', seconds=out, raw=ev, pages=ev.get('pages'))
        st = ev.get('stages')
        if isinstance(st, dict) and st:
            out = {}
            for name, v in st.items():
                if isinstance(v, dict):
                    for k in ('seconds', 's', 'cpu_s', 'total_s', 'time_s'):
                        if isinstance(v.get(k), (int, float)):
                            out[name] = float(v[k])
                            break
                    else:
                        if isinstance(v.get('ms'), (int, float)):
                            out[name] = v['ms'] / 1000.0
                elif isinstance(v, (int, float)):
                    out[name] = float(v)
            if out:
                return dict(event=ev.get('event'), seconds=out, raw=st)
    return None


# ---------------------------------------------------------------- printing

def fmt(x, nd=3):
    return '-' if x is None else ('%.*f' % (nd, x))


def print_report(r, out=sys.stdout):
    w = out.write
    w('qc_eval: %s\n' % r['batch'])
    w('  batch: %d files, %d delivered pages, layout %s; truth faults: %s\n' % (
        r['files'], r['delivered_pages'], r['layout'],
        ', '.join('%s %d' % kv for kv in sorted(r['truth_faults'].items()))))
    if r.get('ingest'):
        ig = r['ingest']
        w('  ingest: exit %d, %.1f s, %.1f pages/s (jobs %d)\n' % (
            ig['exit'], ig['seconds'], ig['pages_per_s'], ig['jobs']))
    w('  sources: %s\n' % r['sources_note'])
    if r['lost_pages']:
        w('  not scored: %d pages lost with a damaged container (%d truth faults on them)\n'
          % (r['lost_pages'], r['lost_faults']))
    print_alignment(r['alignment'], w)
    print_kinds(r, w)
    print_lists(r, w)
    print_false_flags(r['false_flags'], w)
    print_skew(r['skew'], w)
    print_orientation(r['orientation'], w)
    print_stages(r['stages'], w)
    w('\ntargets: %s\n' % ('all met' if r['all_met'] else 'missed: ' + ', '.join(r['missed'])))


def print_alignment(al, w):
    w('  page alignment: %d intact pages read by quire have the truth\'s size, %d differ; '
      '%d intact pages not read; %d quire pages beyond the truth\n' % (
          al['matching'], al['differing'], len(al['unread']), len(al['pages_not_in_truth'])))
    for title, lst in (('size differs', al['differing_list']), ('not read', al['unread']),
                       ('beyond the truth', al['pages_not_in_truth'])):
        for s in lst[:LIST_MAX]:
            w('    %s: %s\n' % (title, s))


def print_kinds(r, w):
    w('\nfault kinds (target: precision and recall >= %.2f)\n' % TARGET_PR)
    w('  %-16s %5s %5s %5s %9s %7s  %s\n' % ('kind', 'TP', 'FP', 'FN', 'precision', 'recall', 'target'))
    for row in r['kinds']:
        if not row['present']:
            w('  %-16s %5s %5s %5s %9s %7s  %s\n' % (row['kind'], 0, 0, 0, '-', '-', 'not in batch'))
            continue
        w('  %-16s %5d %5d %5s %9s %7s  %s\n' % (
            row['kind'], row['tp'], row['fp'], '-' if row['fn'] is None else row['fn'],
            fmt(row['precision']), fmt(row['recall']), 'ok' if row['meets'] else 'MISSED'))
    if r['duplicate_fp_same_source']:
        w('  note: %d duplicate FP are on pages rendered from the same source page as the page\n'
          '        before (different sheets by the truth, same content); they count as FP\n'
          % r['duplicate_fp_same_source'])


def print_lists(r, w):
    for title, lst in (('false negatives', r['fn_list']), ('false positives', r['fp_list']),
                       ('not counted', r['ignored'])):
        if lst:
            w('  %s (%d%s):\n' % (title, len(lst), ', first %d' % LIST_MAX if len(lst) > LIST_MAX else ''))
            for s in lst[:LIST_MAX]:
                w('    %s\n' % s)


def print_false_flags(ff, w):
    w('\nfalse flags per 1,000 clean pages (target <= %g)\n' % TARGET_FALSE_FLAGS)
    w('  %d false flags on %d of %d clean pages: %s per 1,000  %s\n' % (
        ff['false_flags'], ff['pages_flagged'], ff['clean_pages'], fmt(ff['per_1000'], 1),
        'ok' if ff['meets'] else 'MISSED'))
    for s in ff['list'][:LIST_MAX]:
        w('    %s\n' % s)


def print_skew(s, w):
    w('\nskew on text/line pages with |truth content skew| <= %g deg (target MAE <= %g, max <= %g)\n'
      % (SKEW_RANGE, TARGET_SKEW_MAE, TARGET_SKEW_MAX))
    if not s['count']:
        w('  no page to score\n')
    else:
        w('  pages %d  MAE %.3f  max %.3f  within 0.1: %.1f%%  within 0.5: %.1f%%  %s\n' % (
            s['count'], s['mae'], s['max'], 100 * s['within_0_1'], 100 * s['within_0_5'],
            'ok' if s['meets'] else 'MISSED'))
        wp = s['worst']
        w('  worst: %s truth %.2f quire %.3f (error %+.3f)\n' % (wp['page'], wp['truth'], wp['quire'], wp['error']))
        w('  fault-free pages only: %d, MAE %s\n' % (s['fault_free_count'], fmt(s['mae_fault_free'])))
        srcs = sorted(s['by_source'].items(), key=lambda kv: -kv[1]['mae'])[:5]
        w('  worst sources (MAE): %s\n' % ', '.join('%s %.3f (n=%d)' % (k, v['mae'], v['n']) for k, v in srcs))
    if s['unmeasured']:
        w('  not measured by quire: %d: %s\n' % (len(s['unmeasured']), '; '.join(s['unmeasured'][:LIST_MAX])))
    w('  not scored: %s\n' % (', '.join('%s %d' % kv for kv in sorted(s['skipped'].items())) or 'none'))


def print_orientation(o, w):
    w('\norientation on text pages (target >= %.0f%%)\n' % (100 * TARGET_ORIENT))
    w('  all: %d/%d = %s   rotated: %d/%d = %s  %s\n' % (
        o['right'], o['pages'], fmt(o['accuracy'], 4), o['rotated_right'], o['rotated'],
        fmt(o['rotated_accuracy'], 4), 'ok' if o['meets'] else 'MISSED'))
    for s in o['wrong'][:LIST_MAX]:
        w('    wrong: %s\n' % s)


def print_stages(st, w):
    w('\nstage timing: ')
    if not st:
        w('not reported\n')
        return
    total = sum(st['seconds'].values())
    pages = st.get('pages')
    per = (' (%.1f ms per page)' % (1000 * total / pages)) if pages else ''
    w('thread CPU from the "%s" event, %.2f s in all%s\n' % (st['event'], total, per))
    for name, s in sorted(st['seconds'].items(), key=lambda kv: -kv[1]):
        w('  %-16s %9.3f s  %5.1f%%\n' % (name, s, 100 * s / total if total else 0))
    an = st['seconds'].get('analyse')
    if an is not None and total:
        share = an / total
        w('  analysis share %.1f%% (target <= 40%%)  %s\n' % (100 * share,
                                                            'ok' if share <= 0.40 else 'MISSED'))


# ---------------------------------------------------------------- main

def evaluate(truth, tr, qu, events):
    sc = score_faults(tr, qu)
    rows = kind_table(sc, tr)
    ff = false_flags(tr, qu)
    sk = skew_eval(tr, qu)
    orient = orientation_eval(tr, qu)
    missed = ['%s %s' % (row['kind'], 'precision/recall') for row in rows if row['meets'] is False]
    if not ff['meets']:
        missed.append('false flags')
    if not sk['meets']:
        missed.append('skew')
    if not orient['meets']:
        missed.append('orientation')
    return dict(kinds=rows, fp_list=sc.fp_list, fn_list=sc.fn_list, ignored=sc.ignored,
                duplicate_fp_same_source=sc.same_source_dup,
                alignment=alignment(tr, qu), false_flags=ff, skew=sk, orientation=orient, stages=stage_times(events),
                missed=missed, all_met=not missed)


def main(argv):
    a = parse_args(argv)
    batch = os.path.abspath(a.batch)
    with open(os.path.join(batch, 'truth.json'), encoding='utf-8') as f:
        truth = json.load(f)
    work = os.path.abspath(a.work) if a.work else tempfile.mkdtemp(prefix='qc_eval-')
    os.makedirs(work, exist_ok=True)
    ledger = os.path.abspath(a.ledger) if a.ledger else os.path.join(work, 'quire.db')
    try:
        ingest = None
        if not a.no_run:
            rc, secs = run_ingest(a, batch, work, ledger)
            if rc not in (0, 1):
                with open(os.path.join(work, 'ingest.stderr'), encoding='utf-8', errors='replace') as f:
                    sys.stderr.write(f.read()[-4000:])
                sys.stderr.write('qc_eval: quire ingest exited %d\n' % rc)
                return 2
            pages = truth['totals']['delivered_pages']
            ingest = dict(exit=rc, seconds=secs, jobs=a.jobs, pages_per_s=pages / secs if secs else 0)
        if not os.path.exists(ledger):
            sys.exit('qc_eval: no ledger at %s' % ledger)
        qu = Quire(export(a.quire, 'pages', ledger), export(a.quire, 'faults', ledger))
        events = read_log(os.path.join(work, 'log.jsonl'))
        report = build_report(a, batch, truth, qu, events, ingest)
    finally:
        if not a.work and not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif not a.work:
            sys.stderr.write('qc_eval: work kept in %s\n' % work)
    print_report(report)
    if a.json:
        with open(a.json, 'w', encoding='utf-8') as f:
            json.dump(report, f, indent=1, sort_keys=True)
            f.write('\n')
    return 1 if a.check and not report['all_met'] else 0


def build_report(a, batch, truth, qu, events, ingest):
    spath = find_sources(a, truth, batch)
    cls = classify_sources(truth, spath)
    tr = Truth(truth, cls)
    r = evaluate(truth, tr, qu, events)
    non_text = sorted('%s (%s)' % (n, c) for n, c in cls.items() if c in ('picture', 'lines'))
    r.update(
        batch=batch, files=len(tr.files), delivered_pages=len(tr.pages),
        layout=truth.get('args', {}).get('layout', '?'),
        truth_faults=truth.get('totals', {}).get('faults', {}),
        ingest=ingest, sources_file=spath, source_classes=cls,
        sources_note=('%s; not text: %s' % (spath, ', '.join(non_text) or 'none')) if spath
        else 'no sources.json found: every source page counted as text',
        lost_pages=len(tr.lost), lost_faults=tr.lost_faults,
        unknown_truth_kinds=sorted(tr.unknown_kinds))
    return r


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # quiet under `| head`
    sys.exit(main(sys.argv[1:]))
