"""Makes docs/dashboard-and-timeline.png: the dashboard and the timeline in JupyterLab.

``.venv/bin/python docs/picture.py`` (after ``make setup``; needs ``/usr/bin/chromium``,
which ``make test`` installs). It starts JupyterLab and headless Chromium the way the
browser test does (tests/browser/test_browser.py), runs a small notebook on the ``interp``
kernel and photographs the notebook. Takes about a minute.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_browser import CHROMIUM, CHROMIUM_ARGS, LabServer, Notebook  # noqa: E402

OUT = ROOT / "docs" / "dashboard-and-timeline.png"
CELLS = [
    "%%interp iso1 iso2\n"
    "import time  # isolated: each has its own GIL, the two run at once\n"
    "t0 = time.perf_counter()\n"
    "while time.perf_counter() - t0 < 0.5: pass",
    "%%interp leg1 leg2 --config legacy\n"
    "import time  # legacy: they share the main GIL and take turns\n"
    "t0 = time.perf_counter()\n"
    "while time.perf_counter() - t0 < 0.5: pass",
    "%%interp slow --bg\nimport time\nfor _ in range(600): time.sleep(0.1)",
    "%interp dashboard",
    "%interp timeline",
]


def main():
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as root:
        lab = LabServer(root).start()
        try:
            lab.write_notebook("picture.ipynb", CELLS)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                page = browser.new_context(viewport={"width": 1100, "height": 1010}).new_page()
                nb = Notebook(page, lab, "picture.ipynb").open()
                page.keyboard.press("Control+b")  # hide the file browser
                for index in range(len(CELLS)):
                    nb.run(index)
                    if index < 2:
                        expect(nb.cell(index).locator(".jp-InputPrompt")).not_to_have_text("[*]:", timeout=30_000)
                page.locator(".interp-dashboard .interp-row-slow").wait_for(timeout=30_000)
                nb.output(4).locator("svg.interp-timeline").wait_for(timeout=30_000)
                page.mouse.move(0, 0)  # no hover decoration on an output
                time.sleep(1)
                page.locator(Notebook.PANEL).screenshot(path=str(OUT))
                browser.close()
        finally:
            lab.stop()
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
