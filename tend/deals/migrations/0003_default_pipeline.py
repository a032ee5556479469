"""Installs the default pipeline: the stages of seed 000 with their guidance, and 输单 / Lost."""

from django.db import migrations

from tend.deals.defaults import install


def create_default_pipeline(apps, schema_editor):
    install(apps.get_model("deals", "Pipeline"), apps.get_model("deals", "Stage"))


def remove_default_pipeline(apps, schema_editor):
    Pipeline = apps.get_model("deals", "Pipeline")
    Deal = apps.get_model("deals", "Deal")
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is not None and not Deal.objects.filter(pipeline=pipeline).exists():
        pipeline.delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0002_deal_created_by_and_sort_indexes")]

    operations = [migrations.RunPython(create_default_pipeline, remove_default_pipeline)]
