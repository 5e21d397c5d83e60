"""PostgreSQL only: a weighted tsvector column on the search documents and its GIN index.

The column stays outside Django's model state (SQLite has no such type); caseway.knowledge
.index fills it and caseway.knowledge.lexical queries it. Other databases skip this.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE knowledge_searchdocument ADD COLUMN IF NOT EXISTS search_vector tsvector",
    # fastupdate off: rows go straight into the index instead of a pending list that every
    # search scans until the next VACUUM (articles are written rarely, searched often).
    "CREATE INDEX IF NOT EXISTS knowledge_searchdocument_fts "
    "ON knowledge_searchdocument USING gin (search_vector) WITH (fastupdate = off)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_searchdocument_fts",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
