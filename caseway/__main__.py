"""The `caseway` command: the project's manage.py, plus Caseway's own commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseway.config.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        # Our documented commands are spelled with hyphens (`caseway ingest-eml`); Django's
        # command modules cannot be, so `ingest-eml` runs `ingest_eml`.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["caseway", *args])


if __name__ == "__main__":
    main()
