from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    """Reads the body and answers 200: what Django on this server can do at best."""
    request.body  # noqa: B018
    return HttpResponse(b'{"id":"0"}', content_type="application/json")


urlpatterns = [path("bare/", bare), path("", include("tracker.urls"))]
