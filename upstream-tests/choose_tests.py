#!/usr/bin/env python3
"""Chooses which of libuv's own tests can run against uvafd, from the compiled objects.

Mechanical rule: a test is eligible when every libuv symbol that its code can reach is defined
in uvafd's static library, and the runner objects are fully satisfied. A libuv symbol is a
uv_* name (uv__* included) or any other name real libuv's static library defines (test-spawn.c
calls libuv's internal make_program_args, for example).

"Its code" is the closure, over the relocations of the objects (compiled with
-ffunction-sections -fdata-sections, so every function and variable has its own section), of
the sections holding run_test_NAME and the run_helper_* of its helpers (TEST_HELPER entries).
Static callbacks, tables of function pointers, .refptr indirections and calls into other test
objects (echo-server.c's helpers, ...) are all followed; unreachable code in the same file (for
example the TCP half of test-ref.c beside async_ref) is not. The list of tests and helpers is
libuv's own test-list.h as the compiler sees it for Windows (preprocessed, so its #ifdefs apply).

Outputs (in --out):
  gen/test-list.h     shadows libuv's test-list.h: the eligible tests and their helpers only;
  gen/uvafd_stubs.c   an aborting definition for each libuv symbol that the linked objects
                      refer to in code no eligible test can reach, but uvafd does not define (linked
                      into the uvafd runner only: PE's linker wants every reference resolved);
  libupstream_selected.a  the test objects to link: those holding eligible tests, and the
                      objects they refer to;
  eligible.txt        eligible tests, one a line, in test-list.h order;
  excluded.txt        "test<TAB>missing symbols" for every other test, sorted;
  selection.md        the same, readable.
"""

import argparse
import collections
import os
import re
import subprocess
import sys

SECTION_RE = re.compile(r"^\s*(\d+)\s+(\S+)\s+[0-9a-fA-F]{8}\s")
SYMBOL_RE = re.compile(
    r"^\[\s*\d+\]\(sec\s+(-?\d+)\)\(fl [^)]*\)\(ty\s+[0-9a-fA-F]+\)\(scl\s+(\d+)\)\s+"
    r"\(nx \d+\)\s+0x([0-9a-fA-F]+)\s+(\S+)\s*$")
RELOC_HEAD_RE = re.compile(r"^RELOCATION RECORDS FOR \[(.+)\]:\s*$")
RELOC_RE = re.compile(r"^[0-9a-fA-F]+\s+\S+\s+(\S+)\s*$")
ENTRY_RE = re.compile(
    r'\{\s*"([^"]*)"\s*,\s*"([^"]*)"\s*,\s*&\s*run_(test|helper)_(\w+)\s*,\s*(\d+)\s*,'
    r'\s*(\d+)\s*,\s*(\d+)\s*\}')

# run-tests.c's main starts the runner itself as a helper child in special modes
# (spawn_helper1..9, ipc_helper, ...). runner_main.c does not have those modes: a test that
# can reach uv_spawn would need them.
CHILD_MODES = "<run-tests.c child modes>"


class Obj:
    def __init__(self, path):
        self.path = path
        self.defined = {}        # symbol -> section name (static and global)
        self.globals = set()     # globally visible defined symbols
        self.undefined = set()   # external references
        self.sections = set()
        self.relocs = collections.defaultdict(set)  # section -> referenced names


def load_object(objdump, path):
    out = subprocess.run([objdump, "-h", "-t", "-r", path], check=True,
                         capture_output=True, text=True).stdout
    o = Obj(path)
    index_to_name = {}
    current = None
    for line in out.splitlines():
        m = RELOC_HEAD_RE.match(line)
        if m:
            current = m.group(1)
            continue
        if current is not None:
            if line.startswith("OFFSET") or not line.strip():
                continue
            m = RELOC_RE.match(line)
            if m:
                o.relocs[current].add(m.group(1))
            continue
        m = SECTION_RE.match(line)
        if m:
            index_to_name[int(m.group(1))] = m.group(2)
            o.sections.add(m.group(2))
            continue
        m = SYMBOL_RE.match(line)
        if m:
            sec, scl, value, name = int(m.group(1)), int(m.group(2)), int(m.group(3), 16), m.group(4)
            if sec > 0:
                o.defined[name] = index_to_name.get(sec - 1, "?")
                if scl == 2:
                    o.globals.add(name)
            elif sec == 0 and scl == 2:
                if value:  # a common symbol: defined here
                    o.defined[name] = "<common>"
                    o.globals.add(name)
                else:
                    o.undefined.add(name)
    return o


def defined_symbols(nm, library):
    out = subprocess.run([nm, "--defined-only", "-g", library], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and not parts[2].startswith("."):
            syms.add(parts[2])
    return syms


def task_list(cc, cppflags, source):
    """libuv's TASKS as the compiler sees it for this target: (task, process, kind, name,
    is_helper, show_output, timeout), in list order."""
    out = subprocess.run([cc, "-E", "-P"] + cppflags + [source], check=True,
                         capture_output=True, text=True).stdout
    start = out.find("TASKS[] =")
    if start < 0:
        sys.exit("choose_tests.py: no TASKS[] in the preprocessed test list")
    return [m.groups() for m in ENTRY_RE.finditer(out, start)]


STREAM = {"uv_listen", "uv_accept", "uv_read_start", "uv_read_stop", "uv_write", "uv_write2",
          "uv_try_write", "uv_try_write2", "uv_shutdown", "uv_is_readable", "uv_is_writable"}
PREFIXES = [("uv_tcp_", "tcp"), ("uv_udp_", "udp"), ("uv_pipe", "pipe"), ("uv_socketpair", "pipe"),
            ("uv_tty_", "tty"), ("uv_stream_", "stream"), ("uv_fs_", "fs"),
            ("uv_spawn", "process"), ("uv_process_", "process"), ("uv_kill", "process"),
            ("uv_signal_", "signal"), ("uv_queue_work", "threadpool"), ("uv_cancel", "threadpool"),
            ("uv_getaddrinfo", "dns"), ("uv_freeaddrinfo", "dns"), ("uv_getnameinfo", "dns"),
            ("uv_dl", "dl"), ("uv_fileno", "handle"), ("uv_send_buffer_size", "handle"),
            ("uv_recv_buffer_size", "handle"), ("uv_req_", "req"), ("uv_metrics_", "metrics")]
# The first missing family of a test is the first of its families in this order.
FAMILY_ORDER = ["tcp", "udp", "pipe", "tty", "stream", "fs", "process", "signal", "threadpool",
                "dns", "dl", "handle", "req", "metrics", "misc", "internal"]


def family(symbol):
    """The part of libuv's API a missing symbol belongs to (libuv's documentation sections;
    misc: the utilities, from uv_buf_init to uv_os_*; internal: libuv's private names)."""
    if symbol == CHILD_MODES:
        return "process"
    if not symbol.startswith("uv_") or symbol.startswith("uv__"):
        return "internal"
    if symbol in STREAM:
        return "stream"
    for prefix, fam in PREFIXES:
        if symbol.startswith(prefix):
            return fam
    return "misc"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--ar", required=True)
    ap.add_argument("--cc", required=True)
    ap.add_argument("--cppflags", required=True, help="';'-separated preprocessor flags")
    ap.add_argument("--list-source", required=True, help="a file that includes test-list.h")
    ap.add_argument("--uvafd-lib", required=True)
    ap.add_argument("--libuv-lib", required=True, help="real libuv's static library")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runner-objects", required=True, help="';'-separated")
    ap.add_argument("--test-objects", required=True, help="';'-separated")
    args = ap.parse_args()

    runner_paths = [p for p in args.runner_objects.split(";") if p]
    test_paths = [p for p in args.test_objects.split(";") if p]
    uvafd = defined_symbols(args.nm, args.uvafd_lib)
    libuv = defined_symbols(args.nm, args.libuv_lib)

    def needs(symbol):
        """A libuv symbol that uvafd does not define."""
        return (symbol.startswith("uv_") or symbol in libuv) and symbol not in uvafd

    # The runner itself (libuv's runner.c, runner-win.c and runner_main.c) must link whole.
    runner_missing = {}
    for p in runner_paths:
        o = load_object(args.objdump, p)
        missing = sorted(s for s in o.undefined if needs(s))
        if missing:
            runner_missing[os.path.basename(p)] = missing
    if runner_missing:
        for name, missing in runner_missing.items():
            print(f"choose_tests.py: runner object {name} needs {' '.join(missing)}", file=sys.stderr)
        sys.exit("choose_tests.py: uvafd does not define what libuv's test runner needs")

    objects = [load_object(args.objdump, p) for p in test_paths]
    owner = {}  # global symbol -> object
    for o in objects:
        for s in o.globals:
            if s in owner and not s.startswith("."):
                print(f"choose_tests.py: warning: {s} defined in {owner[s].path} and {o.path}",
                      file=sys.stderr)
            owner.setdefault(s, o)

    def closure(roots):
        """Externals reachable from (object, section) roots; objects touched."""
        seen = set()
        stack = list(roots)
        externals = set()
        touched = set()
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            o, sec = node
            touched.add(o.path)
            for ref in o.relocs.get(sec, ()):
                if ref in o.sections:
                    stack.append((o, ref))
                elif ref in o.defined:
                    stack.append((o, o.defined[ref]))
                elif ref in owner:
                    other = owner[ref]
                    stack.append((other, other.defined[ref]))
                else:
                    externals.add(ref)
        return externals, touched

    tasks = task_list(args.cc, [f for f in args.cppflags.split(";") if f], args.list_source)
    tests = [t for t in tasks if t[2] == "test"]
    helpers = collections.defaultdict(list)
    for t in tasks:
        if t[2] == "helper":
            helpers[t[0]].append(t)

    eligible = []
    excluded = {}
    link_objects = set()
    for t in tests:
        name = t[3]
        roots = []
        missing = set()
        for fn in [f"run_test_{name}"] + [f"run_helper_{h[3]}" for h in helpers[t[0]]]:
            if fn in owner:
                roots.append((owner[fn], owner[fn].defined[fn]))
            else:
                missing.add(f"<{fn} not compiled>")
        externals, touched = closure(roots)
        missing |= {s for s in externals if needs(s)}
        if "uv_spawn" in externals:
            missing.add(CHILD_MODES)
        if missing:
            excluded[name] = sorted(missing)
        else:
            eligible.append(t)
            link_objects |= touched

    # Whole objects are linked: add every test object they refer to, recursively.
    by_path = {o.path: o for o in objects}
    stack = list(link_objects)
    while stack:
        o = by_path[stack.pop()]
        for s in o.undefined:
            if s in owner and owner[s].path not in link_objects:
                link_objects.add(owner[s].path)
                stack.append(owner[s].path)
    linked = [o for o in objects if o.path in link_objects]
    stubs = sorted({s for o in linked for s in o.undefined if needs(s)})

    gen = os.path.join(args.out, "gen")
    os.makedirs(gen, exist_ok=True)
    eligible_names = {t[3] for t in eligible}
    eligible_tasks = {t[0] for t in eligible}

    def write(path, text):
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    h = ["/* Generated by upstream-tests/choose_tests.py: libuv's test list, eligible tests only. */",
         "#include \"uv.h\"", ""]
    for t in tasks:
        if t[0] in eligible_tasks and (t[2] == "helper" or t[3] in eligible_names):
            h.append(f"{'TEST' if t[2] == 'test' else 'HELPER'}_DECLARE({t[3]})")
    h += ["", "TASK_LIST_START"]
    for t in tasks:
        task, proc, kind, fn, is_helper, show, timeout = t
        if task not in eligible_tasks:
            continue
        if kind == "test" and fn in eligible_names:
            h.append(f"  TEST_ENTRY_CUSTOM({fn}, {is_helper}, {show}, {timeout})")
        elif kind == "helper":
            h.append(f"  TEST_HELPER({task}, {fn})")
    h += ["TASK_LIST_END", ""]
    write(os.path.join(gen, "test-list.h"), "\n".join(h))

    c = ["/* Generated by upstream-tests/choose_tests.py. Linked into the uvafd runner only. Each",
         " * libuv symbol here is referenced by a linked test object, in code that no eligible",
         " * test can reach, and is not defined by uvafd: calling one is a selection bug. */",
         "#include <stdio.h>", "#include <stdlib.h>", "",
         "static void uvafd_upstream_unreachable(const char* name) {",
         "  fprintf(stderr, \"upstream-tests: %s is not in uvafd and should be unreachable\\n\","
         " name);",
         "  fflush(stderr);", "  abort();", "}", ""]
    for s in stubs:
        c.append(f"void {s}(void);")
        c.append(f"void {s}(void) {{ uvafd_upstream_unreachable(\"{s}\"); }}")
    if not stubs:
        c.append("int uvafd_upstream_no_stubs;")
    write(os.path.join(gen, "uvafd_stubs.c"), "\n".join(c) + "\n")

    archive = os.path.join(args.out, "libupstream_selected.a")
    if os.path.exists(archive):
        os.remove(archive)
    subprocess.run([args.ar, "rcs", archive] + [o.path for o in linked], check=True)

    write(os.path.join(args.out, "eligible.txt"), "".join(t[3] + "\n" for t in eligible))
    write(os.path.join(args.out, "excluded.txt"),
          "".join(f"{n}\t{' '.join(m)}\n" for n, m in sorted(excluded.items())))

    # Readable summary: each excluded test under its first missing family, and the families
    # that alone block tests (what implementing one part of the API would unlock).
    first = collections.defaultdict(list)
    alone = collections.defaultdict(list)
    for n, m in excluded.items():
        fams = sorted({family(s) for s in m}, key=FAMILY_ORDER.index)
        first[fams[0]].append(n)
        if len(fams) == 1:
            alone[fams[0]].append(n)
    md = [f"# libuv's tests on Windows: {len(tests)}; {len(eligible)} eligible for uvafd, "
          f"{len(excluded)} excluded", "",
          f"uvafd defines {len([s for s in uvafd if s.startswith('uv_')])} uv_* symbols. "
          f"Test objects linked: {len(linked)} of {len(objects)}; libuv symbols stubbed in the "
          f"uvafd runner (referenced only by code no eligible test reaches): {len(stubs)}.", "",
          "## Eligible", "", " ".join(sorted(eligible_names)), "",
          "## Excluded, by first missing family", "",
          "| family | tests (first missing family) | tests blocked by this family alone |",
          "|---|---|---|"]
    for f in FAMILY_ORDER:
        if f in first or f in alone:
            md.append(f"| {f} | {len(first.get(f, []))} | {len(alone.get(f, []))} |")
    for f in FAMILY_ORDER:
        if f in first:
            md += ["", f"### {f}", ""]
            for n in sorted(first[f]):
                md.append(f"- {n}: {' '.join(excluded[n])}")
    write(os.path.join(args.out, "selection.md"), "\n".join(md) + "\n")

    print(f"upstream-tests: {len(eligible)} of {len(tests)} libuv tests eligible for uvafd:")
    for t in eligible:
        print(f"  {t[3]}")
    print(f"upstream-tests: {len(excluded)} excluded (test: missing symbols):")
    for n, m in sorted(excluded.items()):
        print(f"  {n}: {' '.join(m)}")
    print(f"upstream-tests: {len(linked)} test objects linked, {len(stubs)} unreachable libuv "
          f"symbols stubbed for uvafd; details in {os.path.join(args.out, 'selection.md')}")


if __name__ == "__main__":
    main()
