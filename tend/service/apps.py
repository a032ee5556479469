from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "tend.service"
    label = "service"

    def ready(self):
        from tend.core.summaries import register as register_summary
        from tend.core.timeline import register_timeline
        from tend.recyclebin.registry import BinKind, register
        from tend.service.models import Feedback, Ticket
        from tend.service.selectors import feedback_timeline_entries, ticket_timeline_entries
        from tend.service.summaries import TICKET_TOTALS
        from tend.web.tabs import CustomerTab, register_tab
        from tend.web.views.feedback import feedback_tab_context
        from tend.web.views.tickets import ticket_tab_context

        # Comments and escalations are not kinds of their own: they go with their record.
        register(BinKind("ticket", Ticket, purge_rank=20))
        register(BinKind("feedback", Feedback, purge_rank=15))
        register_timeline("ticket", ticket_timeline_entries)
        register_summary(TICKET_TOTALS)
        register_timeline("feedback", feedback_timeline_entries)
        register_tab(
            CustomerTab(
                "tickets",
                _("tickets"),
                "web/service/_customer_tickets.html",
                ticket_tab_context,
                60,
            )
        )
        register_tab(
            CustomerTab(
                "feedback",
                _("feedback"),
                "web/service/_customer_feedback.html",
                feedback_tab_context,
                61,
            )
        )
