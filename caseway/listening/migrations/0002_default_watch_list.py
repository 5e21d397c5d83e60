"""A starting watch list of complaint phrases: factual complaints that carry few sentiment
words ("my order never arrived"), which VADER alone scores neutral. Admins edit the list."""

from django.db import migrations

COMPLAINT_PHRASES = [
    "refund",
    "broken",
    "defective",
    "not working",
    "doesn't work",
    "does not work",
    "stopped working",
    "still waiting",
    "never arrived",
    "never received",
    "wrong order",
    "missing item",
    "charged twice",
    "overcharged",
    "cancel my",
    "scam",
    "rip off",
    "ripped off",
    "unacceptable",
    "complaint",
    "outage",
    "no response",
    "on hold for",
    "fix this",
]


def add_phrases(apps, schema_editor):
    WatchWord = apps.get_model("listening", "WatchWord")
    for phrase in COMPLAINT_PHRASES:
        WatchWord.objects.get_or_create(phrase=phrase, defaults={"kind": "complaint"})


def remove_phrases(apps, schema_editor):
    apps.get_model("listening", "WatchWord").objects.filter(phrase__in=COMPLAINT_PHRASES).delete()


class Migration(migrations.Migration):
    dependencies = [("listening", "0001_social_listening")]

    operations = [migrations.RunPython(add_phrases, remove_phrases)]
