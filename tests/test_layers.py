"""Layer order (ARCHITECTURE.md, as amended in docs/architecture.md): imports only go downward."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "freealg"

# lower number = lower layer; a module may import only from layers <= its own
LAYERS = {
    "errors": 0,
    "transforms": 1,
    "kernels": 2,
    "laws": 3,
    "algebra": 4,  # generators carry laws (selfadjoint(name, law)): algebra sits above laws
    "space": 4,
    "reduce": 5,
    "numeric": 6,
    "montecarlo": 6,
    "printing": 7,
    "api": 8, "validate": 8, "plotting": 8, "nn": 8, "cli": 8,
    "__init__": 9, "__main__": 9,
}


def _layer_of(parts):
    return LAYERS.get(parts[0].removesuffix(".py"), None)


def test_imports_go_downward():
    bad = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).parts
        mine = _layer_of(rel)
        if mine is None:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                # resolve the relative import to a top-level freealg subpackage
                base = list(rel[:-1])
                up = node.level - 1
                target = base[: len(base) - up] if up else base
                mod = (node.module or "").split(".")
                parts = [p for p in target + mod if p]
                if not parts:
                    continue
                theirs = _layer_of(parts)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("freealg."):
                theirs = _layer_of(node.module.split(".")[1:])
            else:
                continue
            if theirs is not None and theirs > mine:
                bad.append(f"{'/'.join(rel)}:{node.lineno} imports layer {theirs} from layer {mine}")
    assert not bad, "\n".join(bad)
