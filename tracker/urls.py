from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from tracker.views import auth, health, home

# Each area keeps its own URL module: organizations, issues and events, project settings and
# stats, alert rules, and the REST API.
urlpatterns = [
    # First: the SDK-facing URLs take most requests, and Django tries patterns in order.
    path("", include("ingest.urls")),
    path("", home.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", home.favicon, name="favicon"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("tracker.urls_account")),
    path("", include("tracker.urls_organizations")),
    path("", include("tracker.urls_issues")),
    path("", include("tracker.urls_projects")),
    path("", include("tracker.alerts.urls")),
    # The API's description: public, like Sentry's API reference.
    path("api/0/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: the Content-Security-Policy forbids inline.
    # Swagger UI sets inline styles as it renders: this one page may, no other.
    path("api/0/docs/", csp_update({"style-src": [UNSAFE_INLINE]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/0/", include("tracker.api.urls")),
]
