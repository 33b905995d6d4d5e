#!/usr/bin/python3
"""docs_match.py QUIRE SRC LEDGER - the documentation says what the program does.

Checks, printing "ok: ..." or "FAIL: ..." per line (exit 1 on any FAIL):
  1 README's command synopsis lists, for every command, exactly the options
    `quire help --options CMD` gives (the option lines of its --help);
  2 every option --help lists is known to the command's parser (running it
    never says "unknown option");
  3 every long option in the sources' getopt tables (cli/cmd_*.c) is in
    the --help of a command;
  4 README's export table lists the columns `quire export KIND` writes, in order.
"""
import re
import subprocess
import sys

quire, src, ledger = sys.argv[1:4]
failed = 0


def say(ok, msg):
    global failed
    print(("ok: " if ok else "FAIL: ") + msg)
    failed += 0 if ok else 1


def run(*args):
    p = subprocess.run([quire, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


readme = open(src + "/README.md", encoding="utf-8").read()
block = re.search(r"## Commands\n\n```\n(.*?)```", readme, re.S).group(1)
synopsis = {}
cmd = None
for line in block.splitlines():
    m = re.match(r"quire (\w+)", line)
    if m and m.group(1) != "help":
        cmd = m.group(1)
    elif not line.startswith(" "):
        cmd = None
    if cmd:
        synopsis.setdefault(cmd, set()).update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", line))

commands = run("help", "--commands")[1].split()
all_help = set()
for c in commands:
    opts = set(run("help", "--options", c)[1].split())
    all_help |= opts
    say(synopsis.get(c) == opts, "README synopsis of %s lists its %d options%s" % (
        c, len(opts), "" if synopsis.get(c) == opts else
        ": README only %s, --help only %s" % (sorted(synopsis.get(c, set()) - opts),
                                               sorted(opts - synopsis.get(c, set())))))
    unknown = []
    for o in sorted(opts):
        for argv in ([c, o], [c, "list", o], [c, "show", o], [c, "import", o], [c, "set", o]):
            rc, out, err = run(*argv)
            if "unknown option" not in err:
                break
        else:
            unknown.append(o)
    say(not unknown, "every option of help %s is known to its parser%s" % (
        c, " (unknown: %s)" % unknown if unknown else ""))

in_sources = set()
for path in subprocess.run(["sh", "-c", "ls %s/cli/cmd_*.c" % src], capture_output=True,
                           text=True).stdout.split():
    text = open(path, encoding="utf-8").read()
    in_sources |= {"--" + n for n in
                   re.findall(r'\{\s*"([a-z][a-z-]*)",\s*(?:no|required|optional)_argument', text)}
missing = sorted(in_sources - all_help)
say(not missing and len(in_sources) > 20, "all %d options of the getopt tables are in some "
    "--help%s" % (len(in_sources), " (missing: %s)" % missing if missing else ""))

for kind in ("pages", "files", "faults"):
    m = re.search(r"^\| %s \| ([^|]*) \|" % kind, readme, re.M)
    doc = [re.sub(r"\s*\(.*", "", c).strip() for c in m.group(1).split(", ")] if m else []
    rc, out, err = run("export", kind, "--ledger", ledger)
    head = out.splitlines()[0].split(",") if out else []
    say(rc == 0 and doc == head, "README's %s export columns are the export's header%s" % (
        kind, "" if doc == head else ": README %s, export %s" % (doc, head)))
sys.exit(1 if failed else 0)
