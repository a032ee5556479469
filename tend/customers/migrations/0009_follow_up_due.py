"""The date each customer's next follow-up is due and its grade's rank (S7), kept by
tend.status.cadence, computed here once for the customers already there."""

from django.db import migrations, models


def compute_due_dates(apps, schema_editor):
    from tend.status.cadence import follow_up_values

    customer_model = apps.get_model("customers", "Customer")
    customer_model.objects.update(
        **follow_up_values(
            customer_state_model=apps.get_model("status", "CustomerState"),
            state_model=apps.get_model("status", "State"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("customers", "0008_name_gram_without_constraint"),
        # The cadence the due dates are computed from.
        ("status", "0005_follow_up_cadence"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="follow_up_due_on",
            field=models.DateField(blank=True, null=True, verbose_name="follow-up due"),
        ),
        migrations.AddField(
            model_name="customer",
            name="follow_up_rank",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(
                    ("deleted_at__isnull", True), ("follow_up_due_on__isnull", False)
                ),
                fields=["owner", "follow_up_due_on", "follow_up_rank", "id"],
                name="customer_follow_up_due",
            ),
        ),
        migrations.RunPython(compute_due_dates, migrations.RunPython.noop),
    ]
