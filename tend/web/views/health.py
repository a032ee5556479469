from django.http import HttpResponse

from tend.web.access import public


@public
def healthz(request):
    """The floor: a trivial response through the full middleware stack."""
    return HttpResponse("ok", content_type="text/plain")
