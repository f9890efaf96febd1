"""Browser tests drive Debian's Chromium (never a downloaded browser) through Playwright, against live_server."""

import os
import shutil

import pytest

from tests.helpers import REQUIRE_SERVICES

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium on these machines: no sandbox as root, and no background connections the closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test are still safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if REQUIRE_SERVICES:
            pytest.fail("Chromium is not installed (Debian package `chromium`)")
        pytest.skip("Chromium is not installed (Debian package `chromium`); run `make test`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
