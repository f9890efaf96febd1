"""Screenshots of the portal's pages at 1280 and 390 px, to look at before calling a page done.

Runs against a portal started with `make run` (demo data loaded), in Debian's Chromium driven by Playwright (both
installed by `make test`, which also installs the test requirements this script needs):

    .venv/bin/python scripts/screenshots.py                    # every page, into var/screenshots/
    .venv/bin/python scripts/screenshots.py --out docs/screenshots --only home,help-search

Signs in as the demo staff member (marie.dupont) and the demo agent (sophie.bernard, with the code of
`manage.py demo_otp`); the agent opens one of Marie's demo incidents. The pages are French unless --lang en. Files
are named <page>-<width>.png.
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from portal.management.commands.load_demo import DEMO_PASSWORD  # noqa: E402
from tests.e2e.conftest import CHROMIUM_ARGS  # noqa: E402

WIDTHS = (1280, 390)


def demo_code(username: str) -> str:
    out = io.StringIO()
    call_command("demo_otp", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def sign_in(page, base: str, username: str, *, agent: bool) -> None:
    page.goto(f"{base}/compte/connexion/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    if agent:
        for _attempt in range(2):
            page.fill("input[name=code]", demo_code(username))
            page.click("form[action*='connexion/code'] button[type=submit]")
            page.wait_for_load_state()
            if "connexion/code" not in page.url:
                break
            time.sleep(31 - time.time() % 30)  # each code signs in once: a run right after another waits for the next
    page.wait_for_load_state()


def first_incident() -> str | None:
    """A demo staff member's incident (load_demo files a few), as an agent opens it."""
    from tickets.models import Ticket

    ticket = Ticket.objects.filter(requester__username="marie.dupont").order_by("created_at").first()
    return ticket.get_absolute_url() if ticket else None


def not_me_link() -> str:
    """The "this wasn't me" link of Marie's latest security event, as her e-mail carries it."""
    from portal.identity.not_me import not_me_url
    from portal.models import SecurityEvent

    return not_me_url(SecurityEvent.objects.filter(user__username="marie.dupont").latest("created_at"))


def reset_link(username: str) -> str:
    """A fresh reset link for a demo account, as the e-mail carries it (the account's older links stop working)."""
    from django.conf import settings
    from django.urls import reverse

    from portal.identity.reset import link_issue
    from portal.models import User

    secret = link_issue(User.objects.get(username=username))
    return settings.SITE_URL + reverse("portal:password_reset_link", kwargs={"secret": secret})


def pages(base: str) -> list[tuple[str, str | None, str]]:
    """(name, who, path): who is None (anonymous), "staff" or "agent"."""
    return [
        ("home", None, "/"),
        ("sign-in", None, "/compte/connexion/"),
        ("help", None, "/aide/"),
        ("help-search", None, "/aide/recherche/?q=mot+de+passe+oubli%C3%A9"),
        ("help-search-did-you-mean", None, "/aide/recherche/?q=thunderbrid"),
        ("help-search-other-language", None, "/aide/recherche/?q=how+do+I+set+up+my+phone"),
        ("article", None, "/aide/configurer-thunderbird/"),
        ("contact", None, "/aide/contact/"),
        ("home-staff", "staff", "/"),
        ("choose", "staff", "/incidents/signaler/"),
        ("incident-form", "staff", "/incidents/signaler/echec-connexion/"),
        ("incident-form-errors", "staff", "submit:/incidents/signaler/echec-connexion/"),
        ("my-incidents", "staff", "/incidents/"),
        ("security", "staff", "/compte/securite/"),
        ("api-token-add", "staff", "/compte/securite/jetons/ajouter/"),
        ("api-token-add-agent", "agent", "/compte/securite/jetons/ajouter/"),
        ("not-me", None, "not-me"),
        ("reset-request", None, "/compte/mot-de-passe-oublie/"),
        ("reset-sent", None, "/compte/mot-de-passe-oublie/envoye/"),
        ("reset-factor", None, "reset:sophie.bernard"),
        ("reset-new-password", None, "reset:marie.dupont"),
        ("reset-invalid", None, "/compte/mot-de-passe-oublie/nouveau/"),
        ("lost-phone", None, "/compte/telephone-perdu/"),
        ("recovery-request", None, "/compte/telephone-perdu/demande/"),
        ("access-pass-sign-in", None, "/compte/connexion/passe-temporaire/"),
        ("helpdesk-resets", "agent", "/compte/assistance/reinitialisations/"),
        ("account-security-agent", "agent", "/compte/assistance/comptes/marie.dupont/securite/"),
        ("helpdesk-reset-start", "agent", "/compte/assistance/comptes/marie.dupont/reinitialiser-second-facteur/"),
        ("too-many-requests", None, "flood:/aide/recherche/?q=quota"),
        ("agent-incident", "agent", "incident"),
        ("desk-queue", "agent", "/espace-agents/"),
        ("desk-queue-errors", "agent", "/espace-agents/?created_from=2026-12-03&created_to=2026-12-01"),
        ("desk-dashboard", "agent", "/espace-agents/tableau-de-bord/"),
        ("desk-dashboard-en", "agent", "/en/espace-agents/tableau-de-bord/"),
        ("api-docs", None, "/api/docs/"),
        ("kb-editor", "agent", "/aide/nouvel-article/"),
        ("admin-problem-type", "agent", "/admin/tickets/problemtype/1/change/"),
        ("admin-job-runs", "agent", "/admin/portal/jobrun/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default=os.environ.get("GUICHET_SITE_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--out", default=str(ROOT / "var" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--lang", default="fr", choices=["fr", "en"])
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = {name for name in args.only.split(",") if name}
    prefix = "/en" if args.lang == "en" else ""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        contexts = {}
        for name, who, path in pages(args.base):
            if wanted and name not in wanted:
                continue
            if who not in contexts:
                context = browser.new_context(locale="fr-FR" if args.lang == "fr" else "en-GB")
                if who:
                    sign_in(
                        context.new_page(),
                        args.base,
                        {"staff": "marie.dupont", "agent": "sophie.bernard"}[who],
                        agent=who == "agent",
                    )
                contexts[who] = context
            page = contexts[who].new_page()
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                if path == "incident":
                    path_now = first_incident()
                    if path_now is None:
                        print(f"{name}: no incident to show (file one first)")
                        break
                    page.goto(f"{args.base}{path_now}")
                elif path == "not-me":
                    page.goto(not_me_link())
                elif path.startswith("reset:"):
                    page.goto(reset_link(path.removeprefix("reset:")))
                elif path.startswith("flood:"):
                    # Spend the address's search allowance, then show the refusal page a person would meet.
                    address = f"{args.base}{prefix}{path.removeprefix('flood:')}"
                    while page.request.get(address).status != 429:
                        pass
                    page.goto(address)
                elif path.startswith("submit:"):
                    page.goto(f"{args.base}{prefix}{path.removeprefix('submit:')}")
                    page.locator("form.incident-form button[type=submit].primary").last.click()
                    page.wait_for_load_state()
                else:
                    page.goto(f"{args.base}{prefix}{path}")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
