"""A real browser: JupyterLab + headless Chromium, driving a notebook on the ``interp`` kernel.

JupyterLab (the ``browser`` extra) and the Debian ``chromium`` package are installed by
``make test`` (``make browser-deps``); Python ``playwright`` drives the system Chromium
through ``executable_path`` (never ``playwright install``). The server listens on
127.0.0.1 with a random token. Screenshots go to ``test-output/browser/``.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = os.environ.get("INTERP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _requirements():
    if os.environ.get("INTERP_SKIP_BROWSER"):
        pytest.skip("INTERP_SKIP_BROWSER is set")
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (Debian package chromium: `make browser-deps`)")
    for module in ("playwright", "jupyterlab"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"Python package {module} (`pip install -e '.[browser]'`, done by `make setup`)")
    if missing:
        pytest.fail("the browser test needs: " + "; ".join(missing) + " (INTERP_SKIP_BROWSER=1 skips it)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A JupyterLab server of this test: 127.0.0.1, a token, its own folders."""

    def __init__(self, root):
        self.root = Path(root)
        self.port = _free_port()
        self.token = uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.root / "jupyterlab.log"
        self.process = None

    def start(self, timeout=90):
        runtime = self.root / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        env["JUPYTER_RUNTIME_DIR"] = str(runtime)
        env["PYTHONUNBUFFERED"] = "1"
        command = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root / 'notebooks'}",
            f"--LabApp.workspaces_dir={self.root / 'workspaces'}",
            f"--LabApp.user_settings_dir={self.root / 'settings'}",
            "--LabApp.news_url=",
            "--ServerApp.open_browser=False",
            "--MappingKernelManager.cull_idle_timeout=0",
        ]
        (self.root / "notebooks").mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        cwd=self.root, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within {timeout} s:\n{self.log()}")

    def log(self):
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def api(self, path, method="GET", body=None):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            data = r.read()
        return json.loads(data) if data else None

    def stop(self):
        if self.process is None:
            return
        try:  # kernels first, so that none is left behind
            for kernel in self.api("/api/kernels"):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except Exception:
            pass
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self._log.close()

    def write_notebook(self, name, cells):
        """A notebook with the ``interp`` kernelspec and these code cells."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "interp", "display_name": "Python (interp)", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = self.root / "notebooks" / name
        nbformat.write(nb, path)
        return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    _requirements()
    root = tmp_path_factory.mktemp("lab")
    server = LabServer(root).start()
    yield server
    server.stop()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shutil.copy(server.log_path, OUTPUT / "jupyterlab.log")


@pytest.fixture(scope="module")
def browser():
    _requirements()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Notebook:
    """A notebook open in JupyterLab in one browser page."""

    PANEL = ".jp-NotebookPanel:visible"

    def __init__(self, page, lab, name):
        self.page = page
        self.lab = lab
        self.name = name

    def open(self, timeout=90_000):
        page = self.page
        # ?reset: a fresh workspace (no notebook of an earlier test open beside it)
        page.goto(f"{self.lab.url}/lab/tree/{self.name}?reset&token={self.lab.token}", timeout=timeout)
        page.wait_for_selector(f"{self.PANEL} .jp-Cell", timeout=timeout)
        self.dismiss_notifications()
        self.wait_kernel_idle(timeout)
        return self

    def dismiss_notifications(self):
        for text in ("No", "Dismiss"):
            try:
                self.page.get_by_role("button", name=text, exact=True).click(timeout=500)
            except Exception:
                pass

    def wait_kernel_idle(self, timeout=60_000):
        """Until the kernel is connected and idle (the status bar says so)."""
        self.page.wait_for_selector(
            f"{self.PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)
        self.page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=timeout)

    def cell(self, index):
        return self.page.locator(f"{self.PANEL} .jp-Notebook .jp-Cell").nth(index)

    def output(self, index):
        return self.cell(index).locator(".jp-OutputArea")

    def prompt(self, index):
        return self.cell(index).locator(".jp-InputPrompt").inner_text().strip()

    def run(self, index, timeout=30_000):
        """Run cell ``index`` (select it in command mode, Shift+Enter); returns once it started."""
        cell = self.cell(index)
        before = self.prompt(index)
        for _attempt in range(2):
            cell.locator(".jp-InputPrompt").click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("Shift+Enter")
            deadline = time.monotonic() + timeout / 2000
            while time.monotonic() < deadline:
                now = self.prompt(index)
                if now != before and now != "[ ]:":
                    return now
                time.sleep(0.1)
        raise AssertionError(f"cell {index} did not start (prompt {self.prompt(index)!r})")

    def screenshot(self, name):
        OUTPUT.mkdir(parents=True, exist_ok=True)
        path = OUTPUT / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    try:  # what the page showed at the end, pass or fail
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"end-{request.node.name}.png"), full_page=True)
    except Exception:
        pass
    context.close()


def test_lab_runs_a_cell_on_the_interp_kernel(lab, page):
    """The infrastructure: server, notebook with the interp kernel, a cell, its output."""
    lab.write_notebook("smoke.ipynb", ["import sys\nprint('hello from', sys.version_info[:2])"])
    nb = Notebook(page, lab, "smoke.ipynb").open()
    nb.run(0)
    nb.output(0).get_by_text("hello from").wait_for(timeout=60_000)
    kernels = lab.api("/api/kernels")
    assert [k["name"] for k in kernels] == ["interp"]
    nb.screenshot("smoke.png")


BG_LOOP = (
    "%%interp spin --bg\n"
    "import time\n"
    "n = 0\n"
    "while True:  # runs until interrupted\n"
    "    n += 1\n"
    "    if n % 10 == 0:\n"
    "        print('tick', n // 10)\n"
    "    time.sleep(0.05)\n"
)


def test_dashboard_interrupts_a_background_loop(lab, page):
    """A --bg infinite loop, the dashboard shows it running, its Interrupt button stops it,
    the cell shows the KeyboardInterrupt, and the timeline SVG is in the page."""
    from playwright.sync_api import expect

    lab.write_notebook("dashboard.ipynb", [
        BG_LOOP,
        "%interp dashboard",
        "%%interp other\nsum(range(10**6))",
        "%interp timeline",
    ])
    nb = Notebook(page, lab, "dashboard.ipynb").open()
    nb.run(0)
    status = nb.output(0).locator(".interp-bg-status")
    expect(status).to_contain_text("spin: running since", timeout=30_000)
    expect(nb.output(0)).to_contain_text("tick 1", timeout=15_000)

    nb.run(1)
    row = page.locator(".interp-dashboard .interp-row-spin")
    row.wait_for(timeout=30_000)
    state = row.locator(".interp-col-state")
    expect(state).to_have_text("background", timeout=15_000)  # a --bg job is running
    expect(row.locator(".interp-col-time")).to_contain_text("running", timeout=5_000)
    expect(row.locator(".interp-col-config")).to_have_text("isolated")
    nb.screenshot("dashboard-running.png")

    # a new interpreter shows up in the open dashboard
    nb.run(2)
    expect(page.locator(".interp-dashboard .interp-row-other .interp-col-cells")).to_have_text("1", timeout=15_000)

    row.locator("button.interp-interrupt").click()
    expect(state).to_have_text("idle", timeout=15_000)
    expect(nb.output(0)).to_contain_text("KeyboardInterrupt", timeout=15_000)
    expect(status).to_contain_text("interrupted", timeout=15_000)
    expect(page.locator(".interp-dashboard-message")).to_have_text("interrupted spin")

    nb.run(3)
    svg = nb.output(3).locator("svg.interp-timeline")
    svg.wait_for(timeout=30_000)
    lanes = svg.locator("g.interp-lane")
    assert sorted(lanes.evaluate_all("els => els.map(e => e.dataset.lane)")) == ["other", "spin"]
    statuses = svg.locator("rect.interp-bar").evaluate_all("els => els.map(e => e.dataset.status)")
    assert "interrupted" in statuses and "ok" in statuses
    nb.cell(1).scroll_into_view_if_needed()
    path = nb.screenshot("dashboard.png")
    assert path.stat().st_size > 10_000
