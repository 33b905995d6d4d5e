#!/usr/bin/python3
"""structure_check.py - the shape rules of the source tree, checked on the
compiled library so that they cannot drift:

1. No two files call each other in a loop. The call graph between the
   object files of quire_core is read from `nm` (which file defines each
   symbol, which file uses it); a strongly connected component of more than
   one file is a loop, printed with the symbols that make each edge. A
   shared helper belongs in a file of its own that both callers use.
2. One grow-array helper: realloc() is called only by qr_grow and qr_buf
   (util/qr_util.c); every other array grows through qr_grow.
3. One JSON string writer: "\\u%04x" escaping of a JSON string is written
   only in util/text.c (pdf_text.c's \\uXXXX is PDF text, not JSON).

    structure_check.py OBJECT_DIR SOURCE_DIR

exits 1 naming every violation.
"""
import collections
import glob
import os
import re
import subprocess
import sys

MODULES = ("formats", "ledger", "manifest", "pipeline", "stages", "util")


def call_graph(objdir):
    defs, refs = {}, collections.defaultdict(set)
    for o in sorted(glob.glob(os.path.join(objdir, "**", "*.o"), recursive=True)):
        name = os.path.relpath(o, objdir).replace(".c.o", ".c")
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defs[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U":
                refs[name].add(parts[1])
    graph = collections.defaultdict(set)
    for f, rs in refs.items():
        for r in rs:
            if r in defs and defs[r] != f:
                graph[f].add(defs[r])
    return defs, refs, graph


def loops(graph):
    """Tarjan's strongly connected components of more than one file."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def sources(src):
    for m in MODULES:
        for p in sorted(glob.glob(os.path.join(src, m, "*.c"))):
            yield os.path.relpath(p, src), open(p, encoding="utf-8").read()


def main():
    objdir, src = sys.argv[1], sys.argv[2]
    bad = []
    defs, refs, graph = call_graph(objdir)
    if len(graph) < 20:
        sys.exit("structure_check: no object files of quire_core under %s" % objdir)
    for comp in loops(graph):
        bad.append("files that call each other in a loop: " + " ".join(comp))
        for a in comp:
            for b in sorted(graph[a] & set(comp)):
                syms = sorted(r for r in refs[a] if defs.get(r) == b)
                bad.append("    %s -> %s: %s" % (a, b, ", ".join(syms[:6])))
    for path, text in sources(src):
        if path != "util/qr_util.c" and re.search(r"\brealloc\s*\(", text):
            bad.append("%s: calls realloc (grow arrays with qr_grow)" % path)
        if path not in ("util/text.c", "formats/pdf_text.c", "formats/xmp.c") and \
                re.search(r'\\\\u%04[xX]', text):
            bad.append("%s: escapes a JSON string itself (use qr_json_str / qr_json_fputs)"
                       % path)
    for b in bad:
        print(b)
    print("structure: %d files, %d calls between files, %d violations" %
          (len(graph), sum(len(v) for v in graph.values()), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
