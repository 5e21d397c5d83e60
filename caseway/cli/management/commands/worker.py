"""`caseway worker`: the background task worker alone, to run more of them (scale out).

A thin wrapper over django-tasks-db's `db_worker`, with all of its options.
"""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "Run the background task worker on its own (see also `caseway run`)."
