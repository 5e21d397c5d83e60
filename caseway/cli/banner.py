"""What `caseway run` prints once everything is up: where to go and how to log in."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from caseway.cli.demo.people import DemoLogin

# Paths from caseway/config/urls.py (shared/DESIGN.md, "Interfaces users and tests rely on").
PORTAL_PATH = "/"
WORKSPACE_PATH = "/agent/"
ADMIN_PATH = "/admin/"
API_DOCS_PATH = "/api/v1/docs"


def render_banner(
    *, base_url: str, logins: Sequence[DemoLogin] = (), services: Sequence[str] = ()
) -> str:
    """The start-up banner: the URLs of every interface, the demo logins, what else runs."""
    base = base_url.rstrip("/")
    rows = [
        (_("Customer portal"), base + PORTAL_PATH),
        (_("Help center"), base + "/kb/"),
        (_("Ask the bot"), base + "/help/ask/"),
        (_("Community"), base + "/community/"),
        (_("Kiosk"), base + "/kiosk/"),
        (_("Agent workspace"), base + WORKSPACE_PATH),
        (_("Live chat (agents)"), base + WORKSPACE_PATH + "chat/"),
        (_("Admin"), base + ADMIN_PATH),
        (_("API docs"), base + API_DOCS_PATH),
    ]
    width = max(len(label) for label, _url in rows)
    lines = ["", _("Caseway is running."), ""]
    lines += [f"  {label.ljust(width)}  {url}" for label, url in rows]
    if logins:
        lines += ["", _("Demo logins (for local demos only):")]
        name_width = max(len(f"{login.username} / {login.password}") for login in logins)
        lines += [
            f"  {f'{login.username} / {login.password}'.ljust(name_width)}  {login.role}"
            for login in logins
        ]
    if services:
        lines += ["", _("Also running in this process: %(services)s") % {
            "services": ", ".join(services)
        }]  # fmt: skip
    lines += ["", _("Press Ctrl-C to stop."), ""]
    return "\n".join(lines)
