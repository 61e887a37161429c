"""The Russian catalogue: collect the marked messages from the code, keep gkh.po in step, compile gkh.mo.

    python tools/i18n.py update [--merge PART.po ...]   collect, merge translations, write gkh.po and gkh.mo
    python tools/i18n.py check                          what lacks Russian text, a stale gkh.mo, a bare message
    python tools/i18n.py check --under gkh/domain --with PART.po   the same for one folder, PART's texts counted

Only the standard library: the catalogue is read by gettext at run time (gkh.i18n), so the .mo is committed
beside the .po and a test (tests/test_i18n.py) fails when they differ, when a marked message has no
Russian text, when a translation loses a placeholder, or when a message for people is written as a bare
string or f-string instead of through ``_()``.

Marked: ``_("…")``, ``N_("…")``, ``ngettext("…", "…", n)``, ``pgettext("ctx", "…")``, ``T_("…")`` (context
``term``), the header of ``Column(name, header)``, and every help text of the command tree (gkh.cli.speak_help).
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gkh"
CATALOGUE = PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "gkh.po"
COMPILED = CATALOGUE.with_suffix(".mo")
TERM = "term"

HEADER = (
    "Project-Id-Version: gkh\n"
    "Language: ru\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);\n"
)

# Calls whose argument is a message for people: name → (position, keyword) of that argument. Such an argument
# must be a translation (_(…), ngettext(…), a .format of one) or a name, never a bare literal or f-string.
MESSAGE_CALLS: dict[str, tuple[int | None, str]] = {
    "InvalidInput": (0, "message"),
    "Refused": (1, "message"),
    "ReadingRefused": (1, "message"),
    "GkhError": (0, "message"),
    "ApiError": (2, "message"),
    "invalid": (0, "message"),
    "not_found": (0, "message"),
    "BadParameter": (0, "message"),
    "say": (0, "text"),
    "warn": (0, "text"),
    "note": (0, "text"),
    "ask": (0, "question"),
    "confirm": (0, "question"),
    "InvalidValue": (0, "message"),
    "PortalError": (0, "message"),
    "InvalidRequest": (0, "message"),
    "AuthenticationError": (0, "message"),
    "PermissionDenied": (0, "message"),
    "NotFound": (0, "message"),
    "Unreachable": (0, "message"),
    "PortalUnusable": (0, "message"),
    "ServerError": (0, "message"),
    "CopyRefused": (0, "message"),
    "BackupRefused": (0, "message"),
    "PortalUrlError": (0, "message"),
}
MESSAGE_KEYWORDS = ("unable", "hint", "empty")  # keyword arguments that are messages wherever they appear


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    plural: str | None = None
    strings: list[str] = field(default_factory=list)  # msgstr, or msgstr[0..2]
    places: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.context, self.msgid

    @property
    def translated(self) -> bool:
        return bool(self.strings) and all(self.strings)


# --- collecting -------------------------------------------------------------------------------------------


def _text(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _calls(package: Path):
    """Every call in the package's code, with its file's path relative to the package's parent."""
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call):
                yield relative, node


def collect(package: Path = PACKAGE) -> dict[tuple[str | None, str], Entry]:
    """Every marked message in the package's code, in the order first met."""
    found: dict[tuple[str | None, str], Entry] = {}

    def add(msgid: str | None, where: str, context: str | None = None, plural: str | None = None) -> None:
        if not msgid:
            return
        entry = found.setdefault((context, msgid), Entry(msgid, context, plural))
        entry.places.append(where)

    for relative, node in _calls(package):
        name, args, where = _name(node.func), node.args, f"{relative}:{node.lineno}"
        if name in ("_", "N_") and args:
            add(_text(args[0]), where)
        elif name == "T_" and args:
            add(_text(args[0]), where, TERM)
        elif name == "ngettext" and len(args) >= 2:
            add(_text(args[0]), where, plural=_text(args[1]))
        elif name == "pgettext" and len(args) >= 2:
            add(_text(args[1]), where, _text(args[0]))
        elif name == "Column":
            header = args[1] if len(args) >= 2 else next((k.value for k in node.keywords if k.arg == "header"),
                                                        None)
            add(_text(header), where)
    if package == PACKAGE:
        for text, where in help_texts():
            add(text, where)
    return found


def help_texts() -> list[tuple[str, str]]:
    """The help texts of the command line (its verbs', options' and epilog), from the command tree Typer builds
    — the very strings gkh.cli.speak_help translates — each with the command it belongs to."""
    import typer.main

    from gkh.cli import app, command_tree

    texts = []
    for command in command_tree(typer.main.get_command(app)):
        where = f"gkh --help: {command.name}"
        texts += [(getattr(command, a), where) for a in ("help", "short_help", "epilog") if getattr(command, a, None)]
        texts += [(p.help, where) for p in getattr(command, "params", ()) if getattr(p, "help", None)]
    return texts


def bare_messages(package: Path = PACKAGE) -> list[str]:
    """The places where a message for people is a bare literal or f-string, not a translation."""
    problems = []
    for relative, node in _calls(package):
        arguments = [k.value for k in node.keywords if k.arg in MESSAGE_KEYWORDS]
        spec = MESSAGE_CALLS.get(_name(node.func) or "")
        if spec is not None:
            position, keyword = spec
            if position is not None and len(node.args) > position:
                arguments.append(node.args[position])
            arguments += [k.value for k in node.keywords if k.arg == keyword]
        for argument in arguments:
            if _is_bare(argument):
                problems.append(f"{relative}:{argument.lineno}: {ast.unparse(argument)[:80]}")
    return problems


def _is_bare(node: ast.AST) -> bool:
    """A literal with words in it, an f-string, or text glued to them, which the catalogue cannot hold."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(re.search(r"[A-Za-zА-Яа-я]", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_is_bare(part) for part in node.values if isinstance(part, ast.Constant)) or not node.values
    if isinstance(node, ast.BinOp):
        return _is_bare(node.left) or _is_bare(node.right)
    if isinstance(node, ast.IfExp):
        return _is_bare(node.body) or _is_bare(node.orelse)
    return False


# --- the .po file -----------------------------------------------------------------------------------------


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    inner = text.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), inner)


def read_po(path: Path) -> dict[tuple[str | None, str], Entry]:
    """The entries of a .po file (the header entry, msgid "", left out); fuzzy ones count as untranslated."""
    entries: dict[tuple[str | None, str], Entry] = {}
    if not path.exists():
        return entries
    blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    for block in blocks:
        fields: dict[str, str] = {}
        current: str | None = None
        fuzzy = False
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            if not line or line.startswith("#"):
                continue
            if line.startswith('"'):
                if current is not None:
                    fields[current] += _unquote(line)
                continue
            keyword, _sep, rest = line.partition(" ")
            current = keyword
            fields[current] = _unquote(rest)
        if "msgid" not in fields or not fields["msgid"]:
            continue
        entry = Entry(fields["msgid"], fields.get("msgctxt"), fields.get("msgid_plural"))
        if entry.plural is None:
            entry.strings = [fields.get("msgstr", "")]
        else:
            entry.strings = [fields.get(f"msgstr[{i}]", "") for i in range(3)]
        if fuzzy:
            entry.strings = ["" for _s in entry.strings]
        entries[entry.key] = entry
    return entries


def write_po(path: Path, entries: list[Entry]) -> None:
    lines = ['msgid ""', 'msgstr ""', *(_quote(line + "\n") for line in HEADER.rstrip("\n").split("\n")), ""]
    for entry in entries:
        lines += [f"#: {place}" for place in sorted(set(entry.places))[:4]]
        if entry.context is not None:
            lines.append(f"msgctxt {_quote(entry.context)}")
        lines.append(f"msgid {_quote(entry.msgid)}")
        if entry.plural is None:
            lines.append(f"msgstr {_quote(entry.strings[0] if entry.strings else '')}")
        else:
            lines.append(f"msgid_plural {_quote(entry.plural)}")
            strings = entry.strings or ["", "", ""]
            lines += [f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(strings)]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def compile_mo(entries: list[Entry]) -> bytes:
    """GNU .mo bytes for the translated entries (as msgfmt writes them, without the hash table)."""
    pairs = {"": HEADER}
    for entry in entries:
        if not entry.translated:
            continue
        key = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        if entry.plural is not None:
            key += "\x00" + entry.plural
        pairs[key] = "\x00".join(entry.strings)
    keys = sorted(pairs)
    ids = [k.encode("utf-8") for k in keys]
    strs = [pairs[k].encode("utf-8") for k in keys]
    count = len(keys)
    start = 7 * 4 + 16 * count
    offsets, blob = [], b""
    for data in ids:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\x00"
    id_offsets = offsets
    offsets = []
    for data in strs:
        offsets.append((len(data), start + len(blob)))
        blob += data + b"\x00"
    header = struct.pack("<7I", 0x950412DE, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0)
    tables = b"".join(struct.pack("<2I", *o) for o in id_offsets) + b"".join(struct.pack("<2I", *o) for o in offsets)
    return header + tables + blob


# --- checks -----------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def problems(package: Path = PACKAGE, catalogue: Path = CATALOGUE, *, parts: list[Path] | None = None,
             under: str = "") -> list[str]:
    """Everything that keeps the Russian catalogue from being whole, one line each (empty when it is).
    `parts` are .po files whose translations count too; `under` keeps only the lines about files there."""
    found = collect(package)
    known = read_po(catalogue)
    for part in parts or []:
        known.update({key: entry for key, entry in read_po(part).items() if entry.translated})
    lines = []
    for key, entry in found.items():
        if under and not any(place.startswith(under) for place in entry.places):
            continue
        translation = known.get(key)
        if translation is None or not translation.translated:
            lines.append(f"no Russian text: {_quote(entry.msgid)} ({entry.places[0]})")
            continue
        wanted = placeholders(entry.msgid) | placeholders(entry.plural or "")
        for text in translation.strings:
            if entry.plural is None and placeholders(text) != wanted or not placeholders(text) <= wanted:
                lines.append(f"placeholders differ: {_quote(entry.msgid)} → {_quote(text)}")
    current = [known[key] for key in found if key in known]
    if not (parts or under) and (not COMPILED.exists() or COMPILED.read_bytes() != compile_mo(current)):
        lines.append("gkh.mo is not compiled from gkh.po: run python tools/i18n.py update")
    lines += [f"a bare message, not through _(): {where}" for where in bare_messages(package)
              if where.startswith(under)]
    return lines


def update(merge: list[Path]) -> int:
    found = collect()
    known = read_po(CATALOGUE)
    for part in merge:
        for key, entry in read_po(part).items():
            if entry.translated:
                known[key] = entry
    entries = []
    for key, entry in found.items():
        if key in known and known[key].plural == entry.plural:
            entry.strings = known[key].strings
        entries.append(entry)
    write_po(CATALOGUE, entries)
    COMPILED.write_bytes(compile_mo(entries))
    missing = sum(1 for e in entries if not e.translated)
    print(f"{len(entries)} messages, {missing} without Russian text")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        merge = [Path(p) for p in argv[1:] if p != "--merge"]
        return update(merge)
    if argv[:1] == ["check"]:
        options = dict(zip(argv[1::2], argv[2::2]))
        parts = [Path(value) for name, value in zip(argv[1::2], argv[2::2]) if name == "--with"]
        lines = problems(parts=parts, under=options.get("--under", ""))
        print("\n".join(lines) or "the catalogue is whole")
        return 1 if lines else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
