from django.urls import include, path

from tend.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("tend.web.urls")),
]
