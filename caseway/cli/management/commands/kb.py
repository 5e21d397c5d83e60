"""`caseway kb import FILE.jsonl` and `caseway kb export [--output FILE]`: the knowledge base
as JSON Lines, one article per line (see caseway.knowledge.transfer for the fields)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from caseway.knowledge.index import reindex_all
from caseway.knowledge.transfer import export_articles, import_articles


class Command(BaseCommand):
    help = "Import or export knowledge-base articles as JSON Lines, or rebuild the search index."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = actions.add_parser("import", help="Create articles from a JSONL file ('-': stdin).")
        load.add_argument("file", help="JSON Lines: title, body, questions, category, keywords, "
                          "state (summary, language, visibility, products optional)")  # fmt: skip
        dump = actions.add_parser("export", help="Write every article as JSONL.")
        dump.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
        actions.add_parser("reindex", help="Rebuild the search index of published articles.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "import":
            self._import(options["file"])
        elif action == "export":
            self._export(options["output"])
        else:
            report = reindex_all()
            self.stdout.write(
                _(
                    "Search index: %(indexed)d indexed, %(unchanged)d unchanged, "
                    "%(removed)d removed."
                )
                % {
                    "indexed": report.indexed,
                    "unchanged": report.unchanged,
                    "removed": report.removed,
                }
            )

    def _import(self, name: str) -> None:
        if name == "-":
            report = import_articles(sys.stdin, actor=None)
        else:
            path = Path(name)
            if not path.is_file():
                raise CommandError(_("No such file: %(name)s") % {"name": name})
            with path.open(encoding="utf-8") as lines:
                report = import_articles(lines, actor=None)
        for error in report.errors:
            self.stderr.write(error)
        states = ", ".join(f"{state} {n}" for state, n in sorted(report.by_state.items()))
        self.stdout.write(
            _(
                "Imported %(created)d articles (%(states)s); %(indexed)d indexed for search; "
                "%(errors)d lines refused."
            )
            % {
                "created": report.created,
                "states": states or "-",
                "indexed": report.indexed,
                "errors": len(report.errors),
            }
        )

    def _export(self, output: str) -> None:
        if output == "-":
            for line in export_articles():
                self.stdout.write(line)
            return
        count = 0
        with Path(output).open("w", encoding="utf-8") as stream:
            for line in export_articles():
                stream.write(line + "\n")
                count += 1
        self.stderr.write(_("Exported %(count)d articles to %(output)s.")
                          % {"count": count, "output": output})  # fmt: skip
