"""`caseway seed`: load the demo data once (does nothing when it is already there)."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from caseway.cli.demo.people import DEMO_LOGINS
from caseway.cli.demo.seed import seed_demo


class Command(BaseCommand):
    help = (
        "Load demo accounts, contacts, agents, queues, SLA contracts, routing rules and cases "
        "(once)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--cases", type=int, default=200, help="How many demo cases to create (default 200)."
        )

    def handle(self, *args: Any, cases: int, **options: Any) -> None:
        started = time.monotonic()
        summary = seed_demo(cases=cases)
        seconds = time.monotonic() - started
        if summary is None:
            self.stdout.write(_("Demo data is already loaded; nothing to do."))
            return
        by_status = ", ".join(f"{k} {v}" for k, v in sorted(summary.cases_by_status.items()))
        by_channel = ", ".join(f"{k} {v}" for k, v in sorted(summary.cases_by_channel.items()))
        by_queue = ", ".join(f"{k} {v}" for k, v in sorted(summary.cases_by_queue.items()))
        lines = [
            _("Demo data loaded in %(seconds).1f s:") % {"seconds": seconds},
            _("  %(accounts)d accounts, %(contacts)d contacts, %(identities)d identities")
            % {
                "accounts": summary.accounts,
                "contacts": summary.contacts,
                "identities": summary.identities,
            },
            _("  %(agents)d agents in %(queues)d queues")
            % {"agents": summary.agents, "queues": summary.queues},
            _("  %(cases)d cases with %(activities)d timeline entries")
            % {"cases": summary.cases, "activities": summary.activities},
            _("  %(contracts)d contracts on %(policies)d SLA policies; %(timers)d SLA timers")
            % {
                "contracts": summary.contracts,
                "policies": summary.policies,
                "timers": summary.timers,
            },
            _("  by status: %(statuses)s") % {"statuses": by_status},
            _("  by channel: %(channels)s") % {"channels": by_channel},
            _("  by queue: %(queues)s") % {"queues": by_queue},
            _("  %(rules)d routing rules placed %(routed)d cases; routing assigned %(assigned)d")
            % {
                "rules": summary.rules,
                "routed": summary.routed_by_rule,
                "assigned": summary.assigned_by_routing,
            },
            _("  %(articles)d help articles published (/kb/; community at /community/)")
            % {"articles": summary.articles},
            _("  logins: %(logins)s")
            % {"logins": ", ".join(f"{d.username}/{d.password}" for d in DEMO_LOGINS)},
        ]
        if summary.refused:
            lines.insert(
                5,  # after the contracts
                _("  %(refused)d first messages refused by a used-up contract")
                % {"refused": summary.refused},
            )
        self.stdout.write(self.style.SUCCESS(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
