"""The whole race once, as `make race` runs it, and its report opened in headless Chromium.

Every lesson must meet its bars; the report must hold a section per lesson, each image loaded
(naturalWidth > 0). Chromium loads the page from disk with a probe script appended to a copy of it,
and prints the DOM after the probe has written what it saw.
"""

import json
import re
import shutil
import subprocess
import sys

import pytest

from ml52 import lessons

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
PROBE = """<script>
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => ({src: i.getAttribute('src'), w: i.naturalWidth}));
  const sections = [...document.querySelectorAll('section.lesson')].map(s => s.id);
  const pre = document.createElement('pre'); pre.id = 'probe';
  pre.textContent = JSON.stringify({imgs, sections});
  document.body.appendChild(pre);
});
</script>"""


# Bars the project has not met yet, each with its open issue; the race must meet every other bar, and a
# lesson listed here must really still miss (so the list cannot silently go stale).
KNOWN_MISSES = {
    "regularization": "issue 4: accuracy_gain stays at -0.005..+0.007 against the 0.02 bar (see the lesson's test)",
}


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    out = tmp_path_factory.mktemp("race")
    r = subprocess.run([sys.executable, "-m", "ml52", "race", "--json", "--out", str(out), "--device", "cpu"],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode in (0, 1), r.stderr[-3000:]
    return out, json.loads(r.stdout)


@pytest.mark.slow
def test_race_meets_every_bar(race):
    _, summary = race
    assert [x["lesson"] for x in summary["lessons"]] == lessons.SLUGS
    missed = {x["lesson"]: x.get("error") or x["bars"] for x in summary["lessons"] if not x["passed"]}
    unexpected = {k: v for k, v in missed.items() if k not in KNOWN_MISSES}
    assert not unexpected, unexpected
    assert set(missed) == set(KNOWN_MISSES), f"now meeting its bar: {set(KNOWN_MISSES) - set(missed)}"
    assert summary["passed"] is (not missed)


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(chromium() is None and sys.platform != "linux", reason="Chromium is installed by make test on Linux")
def test_report_in_headless_chromium(race, tmp_path):
    out, summary = race
    assert chromium(), "Chromium is missing: make test installs the Debian package chromium"
    page = (out / "report.html").read_text(encoding="utf-8")
    probe = out / "report-probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    r = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                        "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
                       capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="probe">(.*?)</pre>', r.stdout, re.S)
    assert m, r.stderr[-2000:]
    seen = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert seen["sections"] == lessons.SLUGS
    figures = sum(len(x["figures"]) for x in summary["lessons"])
    assert len(seen["imgs"]) == figures >= len(lessons.SLUGS)
    broken = [i["src"] for i in seen["imgs"] if i["w"] <= 0]
    assert not broken, broken
