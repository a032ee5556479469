"""Typed errors that every door turns into the same shape: a code, a message in the user's
language, and field-level messages. Actions raise them; doors never invent their own."""

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _


class TendError(Exception):
    code = "error"
    status = 400
    default_message = _("The request could not be completed.")

    def __init__(self, message=None, *, field_errors: Mapping[str, Sequence] | None = None):
        self.message = message or self.default_message
        self.field_errors = {
            key: [str(m) for m in value] for key, value in (field_errors or {}).items()
        }
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "field_errors": self.field_errors}


class ValidationFailed(TendError):
    code = "invalid"
    status = 422
    default_message = _("Some fields are not valid.")


class NotFound(TendError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(TendError):
    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")


class DuplicateFound(TendError):
    """Another record already has the same credit code, phone or email."""

    code = "duplicate"
    status = 409

    def __init__(self, *, field: str, existing, existing_visible: bool, existing_locked=False):
        self.field = field
        self.existing = existing
        self.existing_visible = existing_visible and not existing_locked
        if existing_locked:
            # 撞单: the reader learns that it is taken and by whom, not what it holds.
            message = _(
                "A customer with this value already exists and is locked: it is in follow-up "
                "by %(owner)s."
            ) % {"owner": existing.owner.display_name}
        elif existing_visible:
            message = _("A customer with this value already exists: %(name)s.") % {
                "name": existing.name
            }
        else:
            message = _("A customer with this value already exists and belongs to %(owner)s.") % {
                "owner": existing.owner.display_name if existing.owner else _("the public pool")
            }
        super().__init__(message, field_errors={field: [message]})

    def as_dict(self) -> dict:
        data = super().as_dict()
        data["existing_id"] = self.existing.pk if self.existing_visible else None
        return data


class CustomerLocked(PermissionDenied):
    """The customer is in follow-up (a state of the LOCKED category) by an owner the reader
    neither is nor manages: the reader may know that it is taken and by whom, nothing more."""

    code = "locked"

    def __init__(self, customer):
        self.customer = customer
        super().__init__(
            _(
                "“%(name)s” is locked: it is in follow-up by %(owner)s. Only its owner, the "
                "owner's managers and administrators see its details."
            )
            % {"name": customer.name, "owner": customer.owner.display_name}
        )
