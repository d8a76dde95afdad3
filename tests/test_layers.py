"""Import structure of freealg, checked on the source text (nothing is imported).

Three rules, described in docs/architecture.md:

1. **Layers**: a module imports only from its own layer or lower ones (``LAYERS``). The engine
   modules under ``freealg/numeric/`` (all but ``solution.py`` and the lazy ``__init__.py``) sit
   on the layer of ``kernels``.
2. **No import cycles**: the graph of module imports (module-level and function-local ones) is
   acyclic. A function-local import that closes a cycle only hides it.
3. **Private names stay in their package**: no module imports a ``_private`` name, or a name
   from a ``_private`` module, of another top-level subpackage.
"""

from __future__ import annotations

import ast
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "freealg"
ROOT = PKG.parent

# lower number = lower layer; a module may import only from layers <= its own
LAYERS = {
    "errors": 0,
    "deps": 0,  # optional packages (require, have) and blas_threads; imports only errors
    "progress": 0,  # progress reporters of slow calls; imports only errors and deps
    "transforms": 1,
    # figures from duck-typed laws and solutions (density, atoms, support): imports only deps and
    # errors, so Law.plot and SpectralSolution.plot can delegate to it
    "plotting": 1,
    "kernels": 2,
    "numeric engine": 2,  # freealg/numeric/* except solution.py and __init__.py (see _layer)
    "laws": 3,
    # the public law constructors (freealg.constructors): re-exported by freealg.laws
    "constructors": 3,
    "rewrite": 3,  # Law.simplify's rules: a rewriting layer beside the law value objects
    "algebra": 4,  # generators carry laws (selfadjoint(name, law)): algebra sits above laws
    "reduce": 5,
    "numeric": 6,  # numeric/solution.py (SpectralSolution, spectrum) and the lazy __init__.py
    "montecarlo": 6,
    "printing": 7,
    "api": 8, "nn": 8,
    "fitting": 8,  # Cauchy noise loss fitting (fa.fit): uses laws, algebra, reduce, plotting
    "__init__": 9,
    "cli": 9, "__main__": 9,  # entry points: they use the whole package (fa.__version__)
}

# modules of freealg/numeric/ that are NOT engine modules
NUMERIC_UPPER = {"freealg.numeric", "freealg.numeric.solution"}

# Tolerated import cycles, each written as a closed path of modules (every edge of a cycle in the
# import graph must lie on one of these paths; any other edge that closes a cycle fails the
# test). Empty since issue 12 broke the laws and compiler cycles: keep it empty.
KNOWN_CYCLES: set[tuple[str, ...]] = set()

# Tolerated imports of a private name (or from a private module) across top-level subpackages,
# as (importing file, imported module, name). Empty since issue 12: never add to this set.
PRIVATE_ALLOWED: set[tuple[str, str, str]] = set()


# --------------------------------------------------------------------------------------------
# the import graph


@dataclass(frozen=True)
class Import:
    """One imported module (or name of a module) of one import statement."""

    path: str          # file, relative to the repository: 'freealg/laws/base.py'
    line: int
    importer: str      # 'freealg.laws.base' ('freealg.laws' for laws/__init__.py)
    target: str        # the module imported, or the module the name is taken from
    name: str | None   # the name taken from ``target`` (None: the module itself)
    local: bool        # inside a function (runs when the function is called)
    type_only: bool    # under ``if TYPE_CHECKING:`` (never runs)

    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(pkg: Path = PKG) -> dict[str, Path]:
    return {_module_name(p, pkg.parent): p for p in sorted(pkg.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, local: bool, type_only: bool):
    """Yield (import node, local, type_only) for every import under ``node``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, local, type_only
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _walk(child, True, type_only)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for sub in child.body:
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    yield sub, local, True
                else:
                    yield from _walk(sub, local, True)
            for sub in child.orelse:
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    yield sub, local, type_only
                else:
                    yield from _walk(sub, local, type_only)
        else:
            yield from _walk(child, local, type_only)


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules) -> list:
    """(module, name) pairs of one import statement inside freealg (name None: the module)."""
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names
                if a.name == "freealg" or a.name.startswith("freealg.")]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - (node.level - 1)])
        if node.module:
            base = f"{base}.{node.module}"
    elif node.module == "freealg" or (node.module or "").startswith("freealg."):
        base = node.module
    else:
        return []
    # ``from . import solution`` imports the submodule; ``from .base import Law`` a name
    return [(f"{base}.{a.name}", None) if f"{base}.{a.name}" in modules else (base, a.name)
            for a in node.names]


def _imports(modules: dict[str, Path], root: Path = ROOT) -> list[Import]:
    out = []
    for mod, path in modules.items():
        rel = path.relative_to(root).as_posix()
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node, local, type_only in _walk(ast.parse(path.read_text()), False, False):
            out += [Import(rel, node.lineno, mod, target, name, local, type_only)
                    for target, name in _targets(node, package, modules)]
    return out


_MODULES = _modules()
_IMPORTS = _imports(_MODULES)


# --------------------------------------------------------------------------------------------
# 1. layers


def _layer(module: str) -> int | None:
    parts = module.split(".")[1:]
    if not parts:
        return LAYERS["__init__"]
    if parts[0] == "numeric" and module not in NUMERIC_UPPER:
        return LAYERS["numeric engine"]
    return LAYERS.get(parts[0])


def test_every_module_has_a_layer():
    missing = sorted(m for m in _MODULES if _layer(m) is None)
    assert not missing, f"modules without a layer (add them to LAYERS): {missing}"


def test_imports_go_downward():
    bad = []
    for imp in _IMPORTS:
        mine, theirs = _layer(imp.importer), _layer(imp.target)
        if mine is not None and theirs is not None and theirs > mine:
            what = imp.target + (f".{imp.name}" if imp.name else "")
            bad.append(f"{imp.where()}: {imp.importer} (layer {mine}) imports {what} "
                       f"(layer {theirs})")
    assert not bad, "imports that go up a layer:\n" + "\n".join(bad)


def test_numeric_engine_imports_only_lower_layers():
    # the engine works on numbers, sympy objects and callables: laws call it, never the reverse
    allowed = ("freealg.errors", "freealg.transforms", "freealg.kernels")
    bad = []
    for imp in _IMPORTS:
        if not imp.importer.startswith("freealg.numeric") or imp.importer in NUMERIC_UPPER:
            continue
        t = imp.target
        engine = t.startswith("freealg.numeric.") and t not in NUMERIC_UPPER
        if not engine and not any(t == a or t.startswith(a + ".") for a in allowed):
            bad.append(f"{imp.where()}: engine module {imp.importer} imports {t}")
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------------------------
# 2. no import cycles


def _graph(imports: list[Import]) -> dict[str, dict[str, Import]]:
    """importer -> {imported module: first import statement}; type-only imports never run."""
    g: dict[str, dict[str, Import]] = defaultdict(dict)
    for imp in imports:
        if not imp.type_only:
            g[imp.importer].setdefault(imp.target, imp)
    return g


def _strong_components(g) -> list[set[str]]:
    """Tarjan's algorithm (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps = []
    nodes = set(g) | {v for vs in g.values() for v in vs}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(g.get(root, {}))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(g.get(w, {})))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                comps.append(comp)
    return comps


def _path(g, start: str, goal: str, within: set[str]) -> list[str]:
    """A shortest import path start -> ... -> goal inside ``within`` (breadth first)."""
    prev = {start: None}
    queue = [start]
    for v in queue:
        if v == goal:
            break
        for w in sorted(g.get(v, {})):
            if w in within and w not in prev:
                prev[w] = v
                queue.append(w)
    path = [goal]
    while prev[path[-1]] is not None:
        path.append(prev[path[-1]])
    return path[::-1]


def _cycle_edges(g) -> list[tuple[str, str]]:
    """Every edge that lies on a cycle (both ends in one strongly connected component)."""
    edges = []
    for comp in _strong_components(g):
        for v in comp:
            edges += [(v, w) for w in g.get(v, {}) if w in comp]
    return sorted(edges)


def _known_edges() -> set[tuple[str, str]]:
    return {(c[i], c[i + 1]) for c in KNOWN_CYCLES for i in range(len(c) - 1)}


def test_known_cycles_are_closed_paths():
    for c in KNOWN_CYCLES:
        assert len(c) >= 2 and c[0] == c[-1], f"{c} is not a closed path"
    # a cycle that is gone should leave the set (a warning, not a failure: its owners may
    # break it before the set is edited)
    live = set(_cycle_edges(_graph(_IMPORTS)))
    gone = sorted(_known_edges() - live)
    if gone:
        warnings.warn("KNOWN_CYCLES edges that no longer lie on a cycle (remove them): "
                      + ", ".join(f"{a} -> {b}" for a, b in gone), stacklevel=1)


def test_no_new_import_cycles():
    g = _graph(_IMPORTS)
    known = _known_edges()
    bad = []
    for comp in _strong_components(g):
        shown: set[tuple[str, str]] = set()
        for v, w in sorted((a, b) for a in comp for b in g.get(a, {}) if b in comp):
            if (v, w) in known or (v, w) in shown:
                continue
            cycle = [v] + _path(g, w, v, comp)      # w -> ... -> v closes v -> w
            edges = list(zip(cycle, cycle[1:]))
            shown.update(edges)
            bad.append("  " + " -> ".join(cycle) + "\n" + "\n".join(
                f"    {a} -> {b}: {g[a][b].where()}{' (in a function)' if g[a][b].local else ''}"
                for a, b in edges))
    assert not bad, ("import cycles (move the shared code to a lower module; a function-local "
                     "import only hides a cycle):\n" + "\n".join(bad))


# --------------------------------------------------------------------------------------------
# 3. private names stay inside their top-level subpackage


def _unit(module: str) -> str:
    """The top-level subpackage (or module) of freealg a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "freealg"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_imports(imports: list[Import]) -> list[tuple[Import, str]]:
    out = []
    for imp in imports:
        if _unit(imp.importer) == _unit(imp.target):
            continue
        bad_mod = [p for p in imp.target.split(".") if _private(p)]
        if bad_mod:
            out.append((imp, f"private module {imp.target}"
                             + (f" (name {imp.name})" if imp.name else "")))
        elif imp.name is not None and _private(imp.name):
            out.append((imp, f"private name {imp.name} of {imp.target}"))
    return out


def test_no_private_imports_across_packages():
    bad = []
    seen = set()
    for imp, what in _private_imports(_IMPORTS):
        key = (imp.path, imp.target, imp.name or "")
        seen.add(key)
        if key not in PRIVATE_ALLOWED:
            bad.append(f"{imp.where()}: {imp.importer} imports the {what}")
    if PRIVATE_ALLOWED - seen:
        warnings.warn(f"PRIVATE_ALLOWED entries no longer used (remove them): "
                      f"{sorted(PRIVATE_ALLOWED - seen)}", stacklevel=1)
    assert not bad, ("private names used outside their package (make them public in the "
                     "lower package, or move the code):\n" + "\n".join(bad))


# --------------------------------------------------------------------------------------------
# the checker itself, on small made-up packages


def test_checker_on_a_made_up_package(tmp_path):
    pkg = tmp_path / "freealg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from .b import f\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .a import g\n    from ..x import _h\n")
    (pkg / "x.py").write_text("from typing import TYPE_CHECKING\n"
                              "if TYPE_CHECKING:\n    from .sub import a\n")
    mods = _modules(pkg)
    assert set(mods) == {"freealg", "freealg.sub", "freealg.sub.a", "freealg.sub.b",
                         "freealg.x"}
    imps = _imports(mods, tmp_path)
    assert [(i.target, i.name, i.line) for i in imps if i.local] == [
        ("freealg.sub.a", "g", 2), ("freealg.x", "_h", 3)]
    assert [(i.target, i.type_only) for i in imps if i.importer == "freealg.x"] == [
        ("freealg.sub.a", True)]
    g = _graph(imps)
    # the function-local import closes a cycle; x -> sub.a (TYPE_CHECKING) never runs
    assert _cycle_edges(g) == [("freealg.sub.a", "freealg.sub.b"),
                               ("freealg.sub.b", "freealg.sub.a")]
    assert _path(g, "freealg.sub.b", "freealg.sub.a", set(mods)) == [
        "freealg.sub.b", "freealg.sub.a"]
    assert [(i.where(), i.name) for i, _ in _private_imports(imps)] == [
        ("freealg/sub/b.py:3", "_h")]
