from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health
from config.api_root import ApiRootApi

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/", include("payments.api.urls")),
    path("api/v1/", include("subscriptions.api.urls")),
    path("api/v1/", include("billing.api.urls")),
    path("webhooks/", include("payments.api.webhook_urls")),
    path("checkout/", include("payments.api.checkout_urls")),
    path("api/auth/", include("rest_framework.urls")),
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

handler400 = "kit.api.errors.json_bad_request"
handler404 = "kit.api.errors.json_not_found"
handler500 = "kit.api.errors.json_server_error"
