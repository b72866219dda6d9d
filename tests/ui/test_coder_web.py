"""The coder's front-end files: present, loaded by the component, valid JavaScript (issue 16)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from observe.ui import coder

WEB = Path(coder.__file__).with_name("coder_web")


def test_the_component_is_built_from_the_files() -> None:
    for name in ("coder.html", "coder.css", "coder.js"):
        assert (WEB / name).stat().st_size > 0
    js = (WEB / "coder.js").read_text(encoding="utf-8")
    assert "export default function" in js


def test_coder_js_parses(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the syntax check needs it")
    module = tmp_path / "coder.mjs"  # an ES module (export default)
    module.write_text((WEB / "coder.js").read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)  # noqa: S603
    assert done.returncode == 0, done.stderr
