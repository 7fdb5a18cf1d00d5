from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.sign_in import guarded_login
from config import health, metrics
from config.api_root import ApiRootApi
from config.media import snack_picture
from snacks.images import SNACK_PICTURES

_browsable_api_auth = [
    path(
        "login/",
        guarded_login(
            auth_views.LoginView.as_view(template_name="rest_framework/login.html")
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    # Before the admin's own: its sign-in form, throttled and with the lock-out.
    path("admin/login/", guarded_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("subscriptions.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/shop/", include("snacks.api.urls")),
    path("shop/", include("snacks.web.urls")),
    path("webhooks/", include("payments.api.webhook_urls")),
    path("checkout/", include("payments.api.checkout_urls")),
    # DRF's `rest_framework.urls`, with the sign-in form guarded as the admin's.
    path("api/auth/", include((_browsable_api_auth, "rest_framework"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # A page and nothing else: its HTML renderer has no template for the
        # metadata that DRF answers OPTIONS with (a 500).
        SpectacularSwaggerView.as_view(
            url_name="api-schema", http_method_names=["get", "head"]
        ),
        name="api-docs",
    ),
]

# Snack pictures (and nothing else of MEDIA_ROOT), in every settings.
urlpatterns += [
    path(
        f"{settings.MEDIA_URL.lstrip('/')}{SNACK_PICTURES}<path:path>",
        snack_picture,
        name="snack-picture",
    )
]

handler400 = "kit.api.errors.json_bad_request"
handler404 = "config.error_pages.not_found"
handler500 = "kit.api.errors.json_server_error"
