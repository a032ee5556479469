import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tend.accounts.models import ApiToken, Role, Team, User
from tend.core.errors import ValidationFailed


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    role: str = Role.SALES_REP,
    team: Team | None = None,
    full_name: str = "",
    email: str = "",
    language: str = "",
    check_password_strength: bool = True,
) -> User:
    errors: dict[str, list[str]] = {}
    if not username or User.objects.filter(username=username).exists():
        errors["username"] = [_("This username is empty or already taken.")]
    if role not in Role.values:
        errors["role"] = [_("Unknown role: %(role)s.") % {"role": role}]
    if check_password_strength:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(field_errors=errors)
    user = User(
        username=username,
        role=role,
        team=team,
        full_name=full_name,
        email=email,
        language=language,
        is_superuser=role == Role.ADMIN,
        is_staff=role == Role.ADMIN,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # Someone took the name between the check above and this insert.
        raise ValidationFailed(
            field_errors={"username": [_("This username is empty or already taken.")]}
        ) from exc
    return user


@transaction.atomic
def create_team(*, name: str, manager: User | None = None, parent: Team | None = None) -> Team:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            field_errors={"name": [_("This team name is empty or already taken.")]}
        )
    if len(name) > Team._meta.get_field("name").max_length:
        raise ValidationFailed(field_errors={"name": [_("A team name is at most 100 characters.")]})
    try:
        # The unique constraint decides, not a check before: two creates at once cannot both win.
        with transaction.atomic():
            team = Team.objects.create(name=name, manager=manager, parent=parent)
    except IntegrityError as exc:
        raise ValidationFailed(
            field_errors={"name": [_("This team name is empty or already taken.")]}
        ) from exc
    if manager is not None and manager.team_id is None:
        manager.team = team
        manager.save(update_fields=["team"])
    return team


def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token record and the token itself, which is not stored and cannot be
    shown again."""
    name = (name or "").strip() or "token"
    if len(name) > 100:
        raise ValidationFailed(
            field_errors={"name": [_("A token name is at most 100 characters.")]}
        )
    raw = "tend_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:12],
        digest=hashlib.sha256(raw.encode()).hexdigest(),
    )
    return token, raw


def revoke_api_token(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])


def set_user_language(*, user: User, language: str) -> None:
    if language not in {"zh-hans", "en"}:
        raise ValidationFailed(field_errors={"language": [_("Unknown language.")]})
    user.language = language
    user.save(update_fields=["language"])
