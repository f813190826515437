#!/usr/bin/env python3
"""Fails if a file of the station's core crates or of ui/js depends, through others, on itself.

Why: files that depend one way can be read, tested and moved from the bottom up; a circle makes
every file in it a prerequisite of every other (issue 17, item 2). Cargo already refuses circles
between crates; this checks the files inside a crate and the UI's modules.

Rust: one node per module (a file, or an inline `mod x { … }`), an edge from the module whose
code names an item (through `use`, `crate::…`, `super::…`, `self::…` or an imported module's
name) to the module that defines it. Re-exports (`pub use`, `pub(crate) use`) are followed to
the definition and are not edges themselves, so a parent that re-exports its children's items
does not depend on them. `#[cfg(test)]` modules are left out (tests may reach anywhere).

JavaScript: one node per file under ui/js, an edge per `import … from`, `export … from` and
`import(…)` in code (JSDoc `import('…')` types are comments and do not run).

Usage: python3 scripts/check-cycles.py [--graph]   (--graph prints every edge; a self-test on a
scratch crate and UI runs first)
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUST_CRATES = ["domain/src", "roster/src", "core/src"]
JS_ROOT = "ui/js"


# ---------------------------------------------------------------- Rust


def strip_rust(text):
    """The source with comments, string and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 20]) and not re.match(r"\w", text[i - 1] if i else " "):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i)):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\])'", text[i:])
            if m:  # a char literal; otherwise a lifetime
                out.append("' '")
                i += len(m.group(0))
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of_file(crate_dir, path):
    rel = path.relative_to(crate_dir).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def split_use_tree(tree):
    """`a::{b, c::{d, e as f}, self}` → [(['a','b'], 'b'), (['a','c','d'], 'd'), (['a','c','e'], 'f'), (['a'], 'a')]."""
    tree = re.sub(r"\s+", "", tree)
    results = []

    def walk(prefix, s):
        # split s at top-level commas
        depth, start, items = 0, 0, []
        for k, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(s[start:k])
                start = k + 1
        items.append(s[start:])
        for item in items:
            if not item:
                continue
            if "{" in item:
                head, rest = item.split("{", 1)
                rest = rest[: rest.rfind("}")]
                walk(prefix + [p for p in head.split("::") if p], rest)
                continue
            path_part = item
            segs = [p for p in path_part.split("::") if p]
            if not segs:
                continue
            if segs[-1] == "self":
                segs = segs[:-1]
                results.append((prefix + segs, (prefix + segs)[-1] if prefix + segs else None))
            elif segs[-1] == "*":
                results.append((prefix + segs[:-1], "*"))
            else:
                results.append((prefix + segs, segs[-1]))

    walk([], tree)
    return results


def parse_use(tree):
    """Like split_use_tree, with `as` aliases (kept apart from the spaces-stripped tree)."""
    aliased = []
    # mark aliases before whitespace is dropped
    tree = re.sub(r"\s+as\s+(\w+)", r"@\1", tree)
    for path, name in split_use_tree(tree):
        if path and "@" in path[-1]:
            real, alias = path[-1].split("@", 1)
            aliased.append((path[:-1] + [real], alias))
        else:
            aliased.append((path, name))
    return aliased


class RustModule:
    def __init__(self, path, file, code):
        self.path = path  # tuple of segments from the crate root
        self.file = file
        self.code = code  # this module's own code (inline child modules removed)
        self.uses = []  # (segments, local name, is_pub)
        self.children = set()  # child module names
        self.items = set()  # names of items defined here


ITEM_RE = re.compile(
    r"\b(?:fn|struct|enum|trait|type|const|static|union|macro_rules!)\s+([A-Za-z_]\w*)"
)


def collect_modules(crate_dir):
    modules = {}

    def add_file(file, modpath):
        text = strip_rust(file.read_text(encoding="utf-8"))
        parse_block(text, modpath, file)

    def parse_block(text, modpath, file):
        own = []
        i = 0
        mod_re = re.compile(r"((?:#\[[^\]]*\]\s*)*)(pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*([;{])")
        children = set()
        while True:
            m = mod_re.search(text, i)
            if not m:
                own.append(text[i:])
                break
            own.append(text[i:m.start()])
            attrs, name, kind = m.group(1), m.group(3), m.group(4)
            is_test = "cfg(test)" in attrs
            if kind == "{":
                depth, j = 1, m.end()
                while j < len(text) and depth:
                    depth += {"{": 1, "}": -1}.get(text[j], 0)
                    j += 1
                if not is_test:
                    children.add(name)
                    parse_block(text[m.end():j - 1], modpath + (name,), file)
                own.append("\n" * text.count("\n", m.start(), j))
                i = j
            else:
                if not is_test:
                    children.add(name)
                    path_attr = re.search(r"#\[path\s*=", attrs)
                    base = file.parent if file.stem in ("lib", "main", "mod") else file.parent / file.stem
                    # nested inline modules declare files below the enclosing file's directory
                    inner = modpath[len(module_of_file(crate_dir, file)):]
                    for seg in inner:
                        base = base / seg
                    for cand in (base / f"{name}.rs", base / name / "mod.rs"):
                        if cand.exists() and not path_attr:
                            add_file(cand, modpath + (name,))
                            break
                own.append("\n" * m.group(0).count("\n"))
                i = m.end()
        code = "".join(own)
        mod = RustModule(modpath, file, code)
        mod.children = children
        mod.items = set(ITEM_RE.findall(code))
        for um in re.finditer(r"(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", code):
            for segs, name in parse_use(um.group(2)):
                mod.uses.append((segs, name, um.group(1) is not None))
        modules[modpath] = mod

    add_file(crate_dir / "lib.rs", ())
    return modules


def resolve(modules, start, segs, depth=0):
    """The module defining what `segs` names, seen from module `start`; None for other crates."""
    if depth > 20 or not segs:
        return None
    cur = list(start)
    first = segs[0]
    rest = segs[1:]
    if first == "crate":
        cur = []
    elif first == "self":
        pass
    elif first == "super":
        cur = cur[:-1]
        while rest and rest[0] == "super":
            cur, rest = cur[:-1], rest[1:]
    else:
        mod = modules.get(tuple(cur))
        if mod and first in mod.children:
            rest = segs
        else:
            # an imported name: a module or item brought in by `use`
            for usegs, name, _ in (mod.uses if mod else []):
                if name == first and usegs and usegs != segs:
                    return resolve(modules, tuple(cur), usegs + rest, depth + 1)
            return None  # another crate, std, or a local name
    # walk down the module tree
    while rest:
        mod = modules.get(tuple(cur))
        if mod is None:
            return None
        head = rest[0]
        if head in mod.children:
            cur.append(head)
            rest = rest[1:]
            continue
        if head in mod.items:
            return tuple(cur)
        # a re-export: follow it to where it is defined
        for usegs, name, _ in mod.uses:
            if name == head:
                return resolve(modules, tuple(cur), usegs, depth + 1)
        for usegs, name, _ in mod.uses:
            if name == "*":
                target = resolve(modules, tuple(cur), usegs + [head], depth + 1)
                if target is not None and target != tuple(cur):
                    return target
        return tuple(cur)
    return tuple(cur)


PATH_RE = re.compile(r"(?<![\w:])((?:crate|super|self|[a-z_]\w*)(?:::[A-Za-z_]\w*)+)")


def rust_edges(crate_dir, root=ROOT):
    modules = collect_modules(crate_dir)
    edges = {}
    for path, mod in modules.items():
        deps = set()
        for segs, name, is_pub in mod.uses:
            if is_pub:
                continue  # a re-export, not a use
            if name == "*":
                target = resolve(modules, path, segs)
                if target is not None:
                    deps.add(target)
                continue
            target = resolve(modules, path, segs)
            if target is not None:
                deps.add(target)
        code_wo_uses = re.sub(r"(pub(?:\([^)]*\))?\s+)?use\s+[^;]+;", "", mod.code)
        for m in PATH_RE.finditer(code_wo_uses):
            segs = m.group(1).split("::")
            target = resolve(modules, path, segs)
            if target is not None:
                deps.add(target)
        deps.discard(path)
        # a module's own descendants and ancestors are its parts, not separate dependencies
        edges[path] = {d for d in deps if d in modules}
    name = lambda p: f"{crate_dir.relative_to(root).parent}::" + ("::".join(p) or "(root)")
    return {name(k): {name(d) for d in v} for k, v in edges.items()}


# ---------------------------------------------------------------- JavaScript


def strip_js(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"(?m)(^|[^:\\'\"])//.*$", r"\1", text)


def js_edges(js_root, root=ROOT):
    edges = {}
    files = sorted(js_root.rglob("*.js"))
    for f in files:
        code = strip_js(f.read_text(encoding="utf-8"))
        deps = set()
        for m in re.finditer(
            r"""(?:\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?|\bexport\s*[\w*{}\s,$]+\s*from\s*|\bimport\s*\(\s*)['"](\.[^'"]+)['"]""",
            code,
        ):
            target = (f.parent / m.group(1)).resolve()
            if target.suffix == "":
                target = target.with_suffix(".js")
            deps.add(str(target.relative_to(root)))
        edges[str(f.relative_to(root))] = deps
    return edges


# ---------------------------------------------------------------- cycles


def strongly_connected(edges):
    """Tarjan's algorithm; the components with more than one node."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
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
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def one_cycle(edges, comp):
    """A shortest circle through the component's first node, for the message."""
    comp = set(comp)
    start = min(comp)
    prev, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w == start:
                    path = [v]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [start]
                if w in comp and w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return [start]


def self_test():
    """The checker must fail on a circle it is meant to catch, and pass without it (a checker
    that cannot fail is no check): a scratch crate and UI in a temporary directory."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = root / "demo" / "src"
        (src / "station").mkdir(parents=True)
        (src / "lib.rs").write_text("pub mod store;\npub mod station;\npub use store::Key;\n")
        (src / "store.rs").write_text("use crate::station::Name;\npub struct Key(Name);\n")
        (src / "station" / "mod.rs").write_text("mod name;\npub use name::Name;\n")
        (src / "station" / "name.rs").write_text(
            "// crate::store::Key in a comment is no use\npub struct Name;\n"
        )
        js = root / "js"
        js.mkdir()
        (js / "a.js").write_text("import { b } from './b.js';\nexport const a = 1;\n")
        (js / "b.js").write_text("// import { a } from './a.js';\nexport const b = 2;\n")
        checks = []
        checks.append(("no circle", strongly_connected(rust_edges(src, root)) == []))
        checks.append(("JS no circle", strongly_connected(js_edges(js, root)) == []))
        (src / "station" / "name.rs").write_text(
            "use crate::Key;\npub struct Name;\nfn f(_: Key) {}\n"
        )
        (js / "b.js").write_text("import { a } from './a.js';\nexport const b = a;\n")
        rust = strongly_connected(rust_edges(src, root))
        checks.append(("circle through a re-export", rust == [["demo::station::name", "demo::store"]]))
        checks.append(("JS circle", strongly_connected(js_edges(js, root)) == [["js/a.js", "js/b.js"]]))
    failed = [name for name, ok in checks if not ok]
    if failed:
        print("check-cycles: self-test failed: " + ", ".join(failed), file=sys.stderr)
        sys.exit(1)
    print(f"check-cycles: self-test passed ({len(checks)} cases)")


def main():
    self_test()
    show = "--graph" in sys.argv
    graphs = {}
    for crate in RUST_CRATES:
        d = ROOT / crate
        if (d / "lib.rs").exists():
            graphs[crate] = rust_edges(d)
    graphs[JS_ROOT] = js_edges(ROOT / JS_ROOT)
    failed = False
    for name, edges in graphs.items():
        if show:
            for v in sorted(edges):
                for w in sorted(edges[v]):
                    print(f"{v} -> {w}")
        comps = strongly_connected(edges)
        for comp in comps:
            failed = True
            print(f"check-cycles: {name}: {len(comp)} modules depend on each other in a circle:")
            print("  " + " -> ".join(one_cycle(edges, comp)))
            print("  all of them: " + ", ".join(comp))
        if not comps:
            print(f"check-cycles: {name}: no circle among {len(edges)} modules")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
