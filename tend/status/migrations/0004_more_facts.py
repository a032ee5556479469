from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("status", "0003_customer_facts")]

    operations = [
        migrations.AddField(
            model_name="customerfacts",
            name="ticket_satisfaction",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="repeat_order_days",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="days_first_to_last_order",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="days_since_first_order",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="p_alive",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="expected_orders_90d",
            field=models.FloatField(null=True),
        ),
        migrations.AddField(
            model_name="customerfacts",
            name="health_score",
            field=models.FloatField(null=True),
        ),
        migrations.CreateModel(
            name="BgNbdFit",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("fitted_at", models.DateTimeField()),
                ("customers", models.IntegerField()),
                ("r", models.FloatField()),
                ("alpha", models.FloatField()),
                ("a", models.FloatField()),
                ("b", models.FloatField()),
                ("log_likelihood", models.FloatField()),
                ("converged", models.BooleanField()),
            ],
            options={"ordering": ["-fitted_at", "-id"]},
        ),
        migrations.CreateModel(
            name="HealthWeight",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("indicator", models.CharField(max_length=50, unique=True)),
                ("weight", models.PositiveSmallIntegerField()),
            ],
        ),
    ]
