#!/usr/bin/env python3
"""Checks every relative link of the README and docs/: the file exists and, for a link to a
heading (#anchor) of a Markdown file, the heading does. Prints each broken link; exit 1 when
any is. Run by the test suite (DocumentationLinkTests)."""
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pages = [os.path.join(root, "README.md")]
for directory, _, names in os.walk(os.path.join(root, "docs")):
    pages += [os.path.join(directory, name) for name in names if name.endswith(".md")]
pages.append(os.path.join(root, "Sources", "BotmasterIPC", "README.md"))


def anchors(path):
    found = set()
    in_code = False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
        match = re.match(r"^#{1,6} (.*)", line)
        if match and not in_code:
            text = match.group(1).strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


broken = []
for page in pages:
    text = open(page, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"^(https?|mailto):", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        where = os.path.relpath(page, root)
        if not os.path.exists(resolved):
            broken.append(f"{where}: {target}: no such file")
        elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
            broken.append(f"{where}: {target}: no heading #{anchor}")
for line in broken:
    print(line)
sys.exit(1 if broken else 0)
