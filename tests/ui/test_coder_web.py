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


_RUN_CASES = """
import { readFileSync } from 'node:fs';
const { applyCue } = await import(process.argv[2]);
const { cues, cases } = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const out = cases.map((presses) => {
  let lane = [];
  presses.forEach(([ci, t], seq) => { lane = applyCue(lane, { client: 'c', seq, t }, ci, cues); });
  return lane.map((r) => [cues[r[2]][0], r[3], r[4]]);
});
console.log(JSON.stringify(out));
"""


def test_the_browser_draws_a_keypress_as_the_store_will_store_it(tmp_path: Path) -> None:
    """``applyCue`` in coder.js (the mark drawn at once) follows :func:`observe.model.plan_cue`
    (what the store does) for random key sequences on one lane, seeks back included."""
    import json
    import random
    from dataclasses import replace

    from observe.model import make_event, plan_cue
    from observe.scheme import default_scheme

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the check needs it")
    scheme = default_scheme()
    gaze = [c for c in scheme.cues_for("client") if c.channel == "GAZE"]
    cues = [[c.code, c.label("en"), c.kind] for c in gaze]
    rng = random.Random(7)
    cases = [
        [
            (rng.randrange(len(gaze)), rng.choice([1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 1.0005]))
            for _ in range(rng.randint(1, 8))
        ]
        for _ in range(300)
    ]
    expected = []
    for presses in cases:
        events: dict[int, object] = {}
        for n, (ci, t) in enumerate(presses):
            new = make_event(scheme, "client", gaze[ci].code, t)
            for change in plan_cue(events.values(), new):  # type: ignore[arg-type]
                if change.before is not None:
                    events.pop(change.before.id, None)  # type: ignore[arg-type]
                if change.after is not None:
                    after = (
                        change.after if change.after.id is not None else replace(change.after, id=1000 + n)
                    )
                    events[after.id] = after  # type: ignore[index]
        expected.append(sorted((e.cue, e.start_s, e.end_s) for e in events.values()))  # type: ignore[attr-defined]
    module = tmp_path / "coder.mjs"
    module.write_text((WEB / "coder.js").read_text(encoding="utf-8"), encoding="utf-8")
    runner = tmp_path / "run.mjs"
    runner.write_text(_RUN_CASES, encoding="utf-8")
    data = tmp_path / "cases.json"
    data.write_text(json.dumps({"cues": cues, "cases": cases}), encoding="utf-8")
    done = subprocess.run(  # noqa: S603
        [node, str(runner), module.as_uri(), str(data)], capture_output=True, text=True, check=True
    )
    drawn = [sorted(tuple(r) for r in lane) for lane in json.loads(done.stdout)]
    assert drawn == expected
