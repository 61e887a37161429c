"""The rooms of the house and the allowed arrows between them (docs/architecture.md).

Every import counts, the ones inside functions too: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gkh"

# room → the rooms of gkh it must never import (a prefix matches the room and everything under it)
FORBIDDEN = {
    "gkh.domain": ["gkh.client", "gkh.server", "gkh.commands", "gkh.config", "gkh.output", "gkh.protocol",
                   "gkh.errors", "gkh.clock", "gkh.paths", "gkh.cli"],
    "gkh.protocol": ["gkh.client", "gkh.server", "gkh.commands", "gkh.config", "gkh.output", "gkh.cli"],
    "gkh.client": ["gkh.server", "gkh.commands", "gkh.config", "gkh.output", "gkh.cli"],
    "gkh.server": ["gkh.client", "gkh.commands", "gkh.config", "gkh.output", "gkh.cli"],
    "gkh.server.db": ["gkh"],  # the store and its migrations know nothing of the portal's rules or its demo
    "gkh.commands": ["gkh.server"],
    "gkh.i18n": ["gkh"],  # the language and the catalogue: the standard library only, so every room may use it
}
# The doors the command line may use into the server: the embedded portal, serving it (in one process or
# several), copying it elsewhere.
# Every room may translate its messages for people (gkh.i18n imports nothing of gkh).
ALLOWED = {"gkh.commands": ["gkh.server.local", "gkh.server.serve", "gkh.server.workers", "gkh.server.db.copy"],
           "gkh.server.db": ["gkh.i18n"]}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str | None = None) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative ones resolved."""
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parents = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parents + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}" if node.module is None else base) for alias in node.names]
    return found


def within(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


def rules_for(module: str) -> list[tuple[str, list[str], list[str]]]:
    return [(room, banned, ALLOWED.get(room, [])) for room, banned in FORBIDDEN.items() if within(module, room)]


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_module_imports_across_a_forbidden_line(path):
    module = module_name(path)
    crossings = []
    for line, target in imports_of(path):
        if not within(target, "gkh"):
            continue
        for room, banned, allowed in rules_for(module):
            if within(target, room):
                continue  # a room may use itself
            if any(within(target, b) for b in banned) and not any(within(target, a) for a in allowed):
                crossings.append(f"{path.relative_to(ROOT)}:{line} imports {target} ({room} must not)")
    assert not crossings, "\n".join(crossings)


def test_the_rules_catch_a_crossing(tmp_path):
    """The checker itself: an import across a line is seen, also inside a function and as a relative import."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..server import store\n    import gkh.client.api\n", encoding="utf-8")
    assert [t for _, t in imports_of(probe, "gkh.domain.probe")] == ["gkh.server", "gkh.client.api"]
    assert any(within("gkh.server", b) for _, b_list, _ in rules_for("gkh.domain._layout_probe") for b in b_list)
