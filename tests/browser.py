"""Playwright driving Debian's chromium, for the browser tests."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
# axe-core, installed from npm by ``tasks.py test`` (``npm ci --prefix tests/a11y``).
AXE = Path(__file__).resolve().parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# The impacts that fail a test; "minor" and "moderate" findings are left to review.
AXE_FAILING_IMPACTS = ("serious", "critical")


def require_chromium() -> None:
    """Skip outside CI when chromium is missing; in CI a missing browser is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing (tasks.py test installs it with apt-get)")
    pytest.skip(f"{CHROMIUM} is not installed")


@contextmanager
def browser_page(locale: str = "en-GB"):
    """Yield a fresh page in headless chromium."""
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    # Assertions wait for the page as long as actions do: a busy CI machine is slow.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale=locale)
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-output/ and return its path."""
    path = OUTPUT / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def require_axe() -> Path:
    """Return axe-core's script; skip outside CI when npm could not install it."""
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing (tasks.py test installs it with npm)")
        pytest.skip(f"{AXE} is missing: npm is needed to install axe-core "
                    "(npm ci --prefix tests/a11y)")
    return AXE


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; return the serious and critical violations."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # The app's Content-Security-Policy (script-src 'self') blocks add_script_tag, whose
        # script is inline; evaluating the source through the DevTools protocol is not subject
        # to the policy, so the page is checked with its CSP in force.
        page.evaluate(require_axe().read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v.get("impact") in AXE_FAILING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    """One line per violation (rule, impact, help) and one per element it found (target, HTML)."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"<{violation.get('helpUrl', '')}>")
        for node in violation["nodes"]:
            target = ", ".join(" >> ".join(part) if isinstance(part, list) else part
                               for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"  - {target} {node.get('html', '')[:160]}: {summary}")
    return "\n".join(lines)


def check_page(page, name: str) -> Path:
    """Save a full-page screenshot as ``name`` and fail on serious/critical axe violations."""
    path = screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, (f"axe-core found accessibility violations on {page.url} "
                            f"(screenshot {path}):\n{describe_violations(violations)}")
    return path
