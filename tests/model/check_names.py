#!/usr/bin/env python3
"""The model's names for the C++ state machine, checked against the C++.

Every `enum class` in backend/src/lifecycle.h must appear in tests/model/lifecycle.pml as
`#define <Enum>_<Enumerator> <value>`, with the same enumerators and the same values, and the
model must define no others under those prefixes. Every `PinnedState::<field>` the model cites
must be a member named in backend/src/pinned_state.h. So renaming, adding, removing or
reordering a state in the C++ fails here until the model follows.

    check_names.py [--header lifecycle.h] [--pinned pinned_state.h] [--model lifecycle.pml]

Exit status: 0 = the same names, 1 = they differ (each difference printed), 2 = unreadable.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def strip_comments(text):
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)


def cxx_enums(header_text):
    """{enum name: {enumerator: value}} for every enum class, values counted as C++ does."""
    enums = {}
    for m in re.finditer(r"enum\s+class\s+(\w+)\s*(?::\s*\w+\s*)?\{(.*?)\};",
                         strip_comments(header_text), flags=re.S):
        values, nxt = {}, 0
        for item in (i.strip() for i in m.group(2).split(",")):
            if not item:
                continue
            name, _, init = (p.strip() for p in item.partition("="))
            if init:
                nxt = int(init, 0)
            values[name] = nxt
            nxt += 1
        enums[m.group(1)] = values
    return enums


def model_enums(model_text, names):
    found = {n: {} for n in names}
    for m in re.finditer(r"^\s*#define\s+(\w+?)_(\w+)\s+(\d+)\b", model_text, flags=re.M):
        if m.group(1) in found:
            found[m.group(1)][m.group(2)] = int(m.group(3))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--header", default=os.path.join(ROOT, "backend/src/lifecycle.h"))
    ap.add_argument("--pinned", default=os.path.join(ROOT, "backend/src/pinned_state.h"))
    ap.add_argument("--model", default=os.path.join(HERE, "lifecycle.pml"))
    a = ap.parse_args()
    try:
        header = open(a.header).read()
        pinned = strip_comments(open(a.pinned).read())
        model = open(a.model).read()
    except OSError as e:
        print("check_names.py: %s" % e, file=sys.stderr)
        return 2
    enums = cxx_enums(header)
    if not enums:
        print("check_names.py: no enum class in %s" % a.header, file=sys.stderr)
        return 2
    problems = []
    for enum, want in model_enums(model, enums).items():
        have = enums[enum]
        for name in sorted(set(have) - set(want)):
            problems.append("%s::%s is not in the model (#define %s_%s %d)"
                            % (enum, name, enum, name, have[name]))
        for name in sorted(set(want) - set(have)):
            problems.append("the model's %s_%s is not an enumerator of %s" % (enum, name, enum))
        for name in sorted(set(want) & set(have)):
            if want[name] != have[name]:
                problems.append("%s_%s is %d in the model, %d in C++"
                                % (enum, name, want[name], have[name]))
    for field in sorted(set(re.findall(r"PinnedState::(\w+)", model))):
        if not re.search(r"\b%s\b" % re.escape(field), pinned):
            problems.append("the model cites PinnedState::%s, which pinned_state.h does not have"
                            % field)
    for p in problems:
        print("check_names.py: " + p)
    if problems:
        print("FAIL: %s and %s name the state machine differently"
              % (os.path.relpath(a.model, ROOT), os.path.relpath(a.header, ROOT)))
        return 1
    print("PASS: %d enums, %d enumerators, the same in the model and the C++"
          % (len(enums), sum(len(v) for v in enums.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
