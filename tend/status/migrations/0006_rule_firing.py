import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_name_gram_without_constraint"),
        ("status", "0005_follow_up_cadence"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rule",
            name="trigger",
            field=models.CharField(
                choices=[
                    ("schedule", "every night"),
                    ("weekly", "every Monday night"),
                    ("activity_logged", "an activity is logged"),
                    ("order_recorded", "an order is recorded"),
                    ("payment_recorded", "a payment is recorded"),
                    ("payment_overdue", "a payment falls overdue"),
                    ("ticket_changed", "a ticket changes"),
                    ("feedback_changed", "feedback changes"),
                    ("state_entered", "a state is entered"),
                    ("inbound_event", "an inbound event arrives"),
                ],
                default="schedule",
                max_length=20,
                verbose_name="trigger",
            ),
        ),
        migrations.CreateModel(
            name="RuleFiring",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("rule_key", models.CharField(max_length=100)),
                ("at", models.DateTimeField()),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("rule_key", "customer"), name="rule_fires_once")
                ],
            },
        ),
    ]
