from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "tend.activities"
    label = "activities"

    def ready(self):
        from tend.activities.actions import refresh_contact_time_nodes
        from tend.activities.models import Activity, Task
        from tend.activities.selectors import activity_timeline_entries, task_bin_scope
        from tend.core.timeline import register_timeline
        from tend.recyclebin.registry import BinKind, register

        register(
            BinKind("activity", Activity, purge_rank=10, after_restore=refresh_contact_time_nodes)
        )
        register(BinKind("task", Task, purge_rank=10, scope=task_bin_scope))
        register_timeline("activity", activity_timeline_entries)
