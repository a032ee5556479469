"""A state's follow-up cadence (S7). A database whose model was installed before gets the
default model's cadence on its grade states (A daily … E yearly) if they have none; a
database without a model gets it with the default model after migrate."""

from django.db import migrations, models

DEFAULT_CADENCE = {"A": 1, "B": 7, "C": 15, "D": 30, "E": 365}


def set_default_cadence(apps, schema_editor):
    # The one place that names the grade dimension by key: the default model's, as shipped.
    state_model = apps.get_model("status", "State")
    for key, days in DEFAULT_CADENCE.items():
        state_model.objects.filter(
            dimension__key="grade", key=key, follow_up_days__isnull=True
        ).update(follow_up_days=days)


class Migration(migrations.Migration):
    dependencies = [("status", "0004_more_facts")]

    operations = [
        migrations.AddField(
            model_name="state",
            name="follow_up_days",
            field=models.PositiveIntegerField(
                blank=True, null=True, verbose_name="follow up every (days)"
            ),
        ),
        migrations.RunPython(set_default_cadence, migrations.RunPython.noop),
    ]
