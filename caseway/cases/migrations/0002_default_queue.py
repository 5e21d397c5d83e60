from django.db import migrations


def create_default_queue(apps, schema_editor):
    Queue = apps.get_model("cases", "Queue")
    if not Queue.objects.filter(is_default=True).exists():
        Queue.objects.create(
            name="General",
            slug="general",
            description="Every new case waits here until routing sends it elsewhere.",
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(create_default_queue, migrations.RunPython.noop)]
