from django.urls import path

from tend.web.views import (
    account,
    activities,
    auth,
    contacts,
    customers,
    health,
    recyclebin,
    settings,
    tasks,
)

app_name = "web"
urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("language/", auth.language, name="language"),
    path("", auth.home, name="home"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/timeline/",
        customers.customer_timeline_more,
        name="customer_timeline",
    ),
    path(
        "customers/<int:pk>/tabs/<slug:key>/",
        customers.customer_tab_panel,
        name="customer_tab",
    ),
    path("customers/<int:pk>/history/", customers.customer_history_page, name="customer_history"),
    path("customers/<int:pk>/delete/", customers.customer_delete, name="customer_delete"),
    path("customers/<int:pk>/assign/", customers.customer_assign, name="customer_assign"),
    path("customers/<int:pk>/contacts/new/", contacts.contact_create, name="contact_create"),
    path("contacts/<int:pk>/edit/", contacts.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", contacts.contact_delete, name="contact_delete"),
    path("customers/<int:pk>/activities/", activities.activity_create, name="activity_create"),
    path("activities/<int:pk>/delete/", activities.activity_delete, name="activity_delete"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task_edit"),
    path("tasks/<int:pk>/done/", tasks.task_toggle, name="task_toggle"),
    path("tasks/<int:pk>/delete/", tasks.task_delete, name="task_delete"),
    path("recycle-bin/", recyclebin.recycle_bin_view, name="recycle_bin"),
    path(
        "recycle-bin/<str:kind>/<int:pk>/restore/",
        recyclebin.recycle_restore,
        name="recycle_restore",
    ),
    # -- leads --
    # -- deals and pipelines --
    # -- contracts --
    # -- orders and payments --
    # -- tickets and feedback --
    # -- import and export --
    path("account/", account.account, name="account"),
    path(
        "account/tokens/<int:pk>/revoke/",
        account.account_token_revoke,
        name="account_token_revoke",
    ),
    path("settings/custom-fields/", settings.custom_fields, name="custom_fields"),
    path(
        "settings/custom-fields/<int:pk>/delete/",
        settings.custom_field_delete,
        name="custom_field_delete",
    ),
]
