"""The `caseway` command: the project's manage.py, plus Caseway's own commands."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseway.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["caseway", *sys.argv[1:]])


if __name__ == "__main__":
    main()
