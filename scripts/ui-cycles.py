#!/usr/bin/env python3
"""Fails if a module under ui/js imports, through others, itself.

Why: modules that depend one way can be read and changed from the bottom up; a circle (a screen
importing the frame that imports the screen) makes each a prerequisite of the other and leaves
the order of their top-level code to chance. Screens reach the frame through ui/js/shell.js.

Edges: `import … from`, `export … from` and `import(…)` in code; comments (JSDoc `import('…')`
types) are not code and are left out.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "ui" / "js"
EDGE = re.compile(
    r"""(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)"""
)


def edges() -> dict[Path, set[Path]]:
    graph = {}
    for path in sorted(ROOT.rglob("*.js")):
        code = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        code = re.sub(r"^\s*//.*$", "", code, flags=re.M)
        graph[path] = {
            (path.parent / (m.group(1) or m.group(2) or m.group(3))).resolve()
            for m in EDGE.finditer(code)
        }
    return graph


def circles(graph: dict[Path, set[Path]]) -> list[list[Path]]:
    found, state = [], {}

    def visit(node: Path, stack: list[Path]) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                found.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])
    return found


def main() -> int:
    found = circles(edges())
    for circle in found:
        print("ui-cycles: " + " → ".join(str(p.relative_to(ROOT)) for p in circle), file=sys.stderr)
    if found:
        return 1
    print(f"ui-cycles: no import circle in ui/js ({len(edges())} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
