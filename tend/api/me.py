"""/me: who the caller is."""

from ninja import Router, Schema

from tend.api.common import responses

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    team: int | None
    language: str
    is_admin: bool
    is_manager: bool

    @staticmethod
    def resolve_team(user) -> int | None:
        return user.team_id


@router.get("", response=responses(200, MeOut), operation_id="getMe", summary="Who I am")
def get_me(request):
    return request.auth
