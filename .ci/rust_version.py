#!/usr/bin/env python3
"""Cargo.toml's rust-version is what the lockfile really needs, and the README says it.

Fails when the declared `rust-version` is lower than the highest
`rust-version` among the locked dependencies built for this host (normal,
build and dev dependencies, resolved by `cargo metadata --filter-platform`),
or when the README's "Rust toolchain (X or later)" names another version.
"""

import json
import re
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split(".")) + (0,) * (3 - text.count(".") - 1)


def main():
    rustc = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    host = re.search(r"^host: (\S+)$", rustc, re.M).group(1)
    metadata = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", host],
        capture_output=True, text=True, check=True,
    ).stdout)
    packages = {p["id"]: p for p in metadata["packages"]}
    members = set(metadata["workspace_members"])
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}

    # Everything reachable from the workspace: what a build or test compiles.
    built, todo = set(), list(members)
    while todo:
        node = nodes[todo.pop()]
        for dep in node["deps"]:
            if dep["pkg"] not in built:
                built.add(dep["pkg"])
                todo.append(dep["pkg"])
    built -= members

    (root,) = [packages[m] for m in members]
    declared = root.get("rust_version")
    if not declared:
        sys.exit(f"FAIL: {root['name']} declares no rust-version in Cargo.toml")
    needs = [(version(packages[p]["rust_version"]), packages[p]["name"], packages[p]["version"],
              packages[p]["rust_version"]) for p in built if packages[p].get("rust_version")]
    highest = max(needs)
    print(f"rust-version {declared} declared; {len(built)} locked dependencies for {host}, "
          f"the highest need is {highest[3]} ({highest[1]} {highest[2]})")
    failed = False
    if version(declared) < highest[0]:
        above = sorted({f"{n} {v} ({rv})" for vv, n, v, rv in needs if vv > version(declared)})
        print(f"FAIL: Cargo.toml declares rust-version {declared}, but these need more: "
              + ", ".join(above))
        failed = True
    readme = open("README.md", encoding="utf-8").read()
    said = re.findall(r"Rust toolchain \((\d+(?:\.\d+)*) or later\)", readme)
    if said != [declared]:
        print(f"FAIL: README.md should say \"Rust toolchain ({declared} or later)\" once; it says {said}")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
