from django.urls import path

from tend.web.views import health

app_name = "web"
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
]
