"""House rules checked on the source: no Streamlit outside observe/ui, pages/ holds only
pages, and no SQL built from strings in observe/."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OBSERVE = REPO / "observe"
PAGES = REPO / "pages"

# one pytest-xdist worker runs them all, so that each file is parsed once for every scan (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("house-rules")


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of a source file, parsed once per test process (the scans only read it)."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path, parsed(path)


def imported_names(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module an import statement names, anywhere in the file (also inside functions)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.lineno, str(node.args[0].value)


def test_no_streamlit_outside_observe_ui() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for path, tree in modules(OBSERVE)
        if OBSERVE / "ui" not in path.parents
        for line, name in imported_names(tree)
        if name == "streamlit" or name.startswith("streamlit.")
    ]
    assert offenders == []


def test_the_import_scan_sees_streamlit_in_observe_ui() -> None:
    """The scan above is not vacuous: it does find the imports the UI package has."""
    ui = [name for _path, tree in modules(OBSERVE / "ui") for _line, name in imported_names(tree)]
    assert "streamlit" in ui


def test_pages_holds_only_page_files() -> None:
    if not PAGES.is_dir():
        return
    entries = [p for p in PAGES.iterdir() if p.name != "__pycache__"]
    strays = [p.name for p in entries if not (p.is_file() and p.suffix == ".py")]
    assert strays == [], "pages/ must hold only page .py files (Streamlit makes every file a page)"
    for page in entries:
        tree = parsed(page)
        names = [name for _line, name in imported_names(tree)]
        assert "streamlit" in names, f"{page.name} is not a Streamlit page"
        defined = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        # shared helpers belong in observe/ui, not in a page other pages import
        assert not any(name.startswith("pages") for name in names), page.name
        assert len(defined) < 40, f"{page.name} defines {len(defined)} functions: move helpers to observe/ui"


SQL_CALLS = {"execute", "exec_driver_sql", "text", "executemany", "executescript"}


def _built_string(node: ast.AST) -> str | None:
    """How a string argument was built from pieces, if it was."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "% formatting"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = (node.left, node.right)
        if any(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts) or any(
            _built_string(p) for p in parts
        ):
            return "string concatenation"
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
    ):
        return ".format()"
    return None


def sql_built_from_strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in SQL_CALLS and node.args and (how := _built_string(node.args[0])):
                yield node.lineno, f"{name}() with SQL built by {how}"


# Reviewed exceptions: no user value can reach them (file:function → why).
ALLOWED: set[tuple[str, str]] = set()


# Migrations run DDL on table and column names written in the migration itself (no user input).
MIGRATIONS = "observe/store/migrations/versions/"


def test_no_sql_built_from_strings() -> None:
    found = {
        (str(path.relative_to(REPO)), what, line)
        for path, tree in modules(OBSERVE)
        for line, what in sql_built_from_strings(tree)
    }
    unexpected = sorted(
        f"{p}:{line}: {what}"
        for p, what, line in found
        if (p, what) not in ALLOWED and not p.startswith(MIGRATIONS)
    )
    assert unexpected == []


def test_the_sql_scan_catches_string_built_sql() -> None:
    sample = ast.parse(
        "conn.execute(f'SELECT * FROM t WHERE id = {x}')\n"
        "conn.exec_driver_sql('DELETE FROM t WHERE id = %s' % x)\n"
        "text('SELECT ' + column)\n"
        "conn.execute('SELECT {}'.format(x))\n"
        "conn.execute(select(t).where(t.c.id == x))\n"
        "text('SELECT 1')\n"
    )
    assert [line for line, _ in sql_built_from_strings(sample)] == [1, 2, 3, 4]


LONG_STRING = 2_000  # characters: longer front-end code or text belongs in its own file (issue 16)


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (documentation read by pydoc and editors, not code in a string)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def long_strings(tree: ast.Module) -> Iterator[tuple[int, int]]:
    """(line, length) of every string literal longer than ``LONG_STRING`` (docstrings aside)."""
    docs = _docstrings(tree)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and len(node.value) > LONG_STRING
            and id(node) not in docs
        ):
            yield node.lineno, len(node.value)


def test_no_long_string_literals_in_python() -> None:
    """JavaScript, CSS or HTML kept in a Python string is out of reach of linters and editors."""
    offenders = [
        f"{path.relative_to(REPO)}:{line}: a string of {length} characters"
        for root in (OBSERVE, PAGES, REPO / "bench", REPO / "tests")
        for path, tree in modules(root)
        for line, length in long_strings(tree)
    ]
    assert offenders == []


def test_the_long_string_scan_finds_a_long_literal() -> None:
    long = "x" * (LONG_STRING + 1)
    sample = ast.parse(f"JS = {long!r}\nSHORT = 'ok'\ndef f():\n    {long!r}\n    return {long!r}\n")
    assert [line for line, _ in long_strings(sample)] == [1, 5]


# -- one guarded door: nothing outside observe/store/ touches a private store attribute ---------------


def _store_private_names() -> set[str]:
    """Every private attribute of :class:`observe.store.Store` (methods, caches, the principal)."""
    from observe.store import Store

    names = {
        n for klass in Store.__mro__ for n in vars(klass) if n.startswith("_") and not n.startswith("__")
    }
    store = Store.open("sqlite://")
    try:
        names |= {n for n in vars(store) if n.startswith("_") and not n.startswith("__")}
    finally:
        store.close()
    return names


def private_store_access(tree: ast.Module, private: set[str]) -> Iterator[tuple[int, str]]:
    """``x._name`` where ``_name`` is a private store attribute and ``x`` is not ``self``/``cls``;
    also ``getattr(x, "_name")``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in private:
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            yield node.lineno, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in private
        ):
            yield node.lineno, str(node.args[1].value)


def test_no_private_store_access_outside_the_store() -> None:
    private = _store_private_names()
    assert {"_write", "_read", "_audit", "_allow", "_principal", "_schemes"} <= private
    roots = [OBSERVE, PAGES, REPO / "bench", REPO / "tests", REPO / "app.py"]
    offenders = []
    for root in roots:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            if OBSERVE / "store" in path.parents:
                continue
            tree = parsed(path)
            offenders += [
                f"{path.relative_to(REPO)}:{line} uses {name}"
                for line, name in private_store_access(tree, private)
            ]
    assert offenders == [], "go through the public Store API (acting, the domain methods)"


def test_the_private_access_scan_finds_a_door_around_the_rules() -> None:
    sample = ast.parse(
        "with store._write() as conn: pass\n"
        "store._ensure_observation(conn, plan, key)\n"
        "getattr(store, '_research_events')()\n"
        "self._write()\n"
        "store.acting('x')\n"
    )
    found = list(private_store_access(sample, {"_write", "_ensure_observation", "_research_events"}))
    assert sorted(line for line, _ in found) == [1, 2, 3]


def test_every_store_change_goes_through_the_unit_of_work() -> None:
    """Inside the store too, a write transaction is opened only by ``StoreCore.acting`` (core.py)."""
    store = OBSERVE / "store"
    offenders = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path, tree in modules(store)
        if path.name != "core.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "_write"
    ]
    assert offenders == []


PAGE_LINES = 150  # DESIGN.md: a page reads as inputs → one call → render; more is a second concern


def test_every_page_is_at_most_150_lines() -> None:
    long = {
        p.name: n
        for p in sorted(PAGES.glob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > PAGE_LINES
    }
    assert long == {}, f"pages over {PAGE_LINES} lines: move rules to observe/ and forms to observe/ui"


def late_imports(text: str) -> list[int]:
    """Lines that silence ruff's "module import not at top of file" (E402) instead of moving the import."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.search(r"#\s*noqa:[^#]*\bE402\b", line)]


def test_no_late_imports_silenced_in_observe() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted(OBSERVE.rglob("*.py"))
        for line in late_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_late_import_scan_finds_a_silenced_e402() -> None:
    sample = "import a\nx = 1\nimport b  # noqa: E402\nimport c  # noqa: F401, E402 (why)\nimport d  # noqa: F401\n"
    assert late_imports(sample) == [3, 4]


# -- the architecture one can see from the folder tree (issue 15 item 7) ------------------------------------

#: the only modules directly in observe/; everything else lives in a package named for what it does
FLAT = {"__init__.py", "__main__.py", "cli.py", "errors.py", "model.py"}
MODULE_LINES = 800  # a longer module is two topics

#: Layer of each part of observe/: a module imports only from its own layer or below.
#: pages → ui, commands → services → store, analysis → model and friends.
LAYER = {
    **dict.fromkeys(("errors", "model", "i18n", "scheme", "data"), 0),
    **dict.fromkeys(("analysis", "store"), 1),
    **dict.fromkeys(("coding", "governance", "reports", "video", "interop", "charts"), 2),
    **dict.fromkeys(("ui", "commands", "cli", "__main__"), 3),
}
#: Store-free policy modules in service packages that the store itself builds on (the permission
#: table, password hashing, owner-only files, the coded-extent rule, video tokens): layer 0, so
#: they too may import nothing above it.
POLICY = {
    "observe.governance.access",
    "observe.governance.auth",
    "observe.governance.files",
    "observe.coding.extent",
    "observe.video.library",
    "observe.video.storage",
}


def layer_of(module: str) -> int | None:
    """The layer of an ``observe`` module name (None: not ours)."""
    parts = module.split(".")
    if parts[0] != "observe":
        return None
    if any(module == p or module.startswith(p + ".") for p in POLICY) or len(parts) == 1:
        return 0
    return LAYER.get(parts[1], 0)


def runtime_imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """The ``observe`` modules a file imports at run time (``if TYPE_CHECKING:`` blocks are types only)."""
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield from ((node.lineno, f"{node.module}.{a.name}") for a in node.names)


def layer_breaches(root: Path = OBSERVE) -> list[str]:
    breaches = []
    for path, tree in modules(root):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        mine = layer_of(name)
        for line, imported in runtime_imports(tree):
            theirs = layer_of(imported)
            if mine is not None and theirs is not None and theirs > mine:
                breaches.append(
                    f"{path.relative_to(root.parent)}:{line} ({mine}) imports {imported} ({theirs})"
                )
            if name.startswith("observe.analysis") and imported.startswith("observe.store"):
                breaches.append(f"{path.relative_to(root.parent)}:{line}: analysis reads no store")
    return breaches


def test_observe_holds_no_flat_service_modules() -> None:
    flat = sorted(p.name for p in OBSERVE.glob("*.py") if p.name not in FLAT)
    assert flat == [], (
        f"move {flat} into the sub-package of what they do (coding, governance, reports, video, ...)"
    )


def test_no_module_in_observe_is_over_800_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in OBSERVE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES
    }
    assert long == {}


def test_every_import_goes_down_the_layers() -> None:
    assert layer_breaches() == []


def test_the_layer_scan_finds_an_import_upwards(tmp_path: Path) -> None:
    """The layer scan is not vacuous: the store importing a page helper, or analysis the store, is caught."""
    root = tmp_path / "observe"
    (root / "store").mkdir(parents=True)
    (root / "analysis").mkdir()
    (root / "store" / "x.py").write_text(
        "from observe.ui.page import guard\nfrom observe.model import Event\n"
    )
    (root / "analysis" / "y.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from observe.ui import page\nimport observe.store.api\n"
    )
    found = layer_breaches(root)
    assert any("store/x.py:1 (1) imports observe.ui.page" in b for b in found)
    assert any("analysis/y.py:4" in b and "reads no store" in b for b in found)
    assert not any("y.py:3" in b for b in found)  # a type-only import is not a dependency
    assert len([b for b in found if "model" in b]) == 0


def untranslated_placeholders(tree: ast.Module) -> Iterator[int]:
    """Lines of a multiselect, or a selectbox that starts empty (``index=None``), that leave the
    placeholder to Streamlit: its "Choose options" / "Choose an option" is English on every page."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        starts_empty = isinstance(keywords.get("index"), ast.Constant) and keywords["index"].value is None
        if (node.func.attr == "multiselect" or (node.func.attr == "selectbox" and starts_empty)) and (
            "placeholder" not in keywords
        ):
            yield node.lineno


def test_every_empty_choice_says_so_in_the_users_language() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{line}"
        for root in (PAGES, OBSERVE / "ui")
        for path, tree in modules(root)
        for line in untranslated_placeholders(tree)
    ]
    assert offenders == []
