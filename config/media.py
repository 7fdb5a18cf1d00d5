"""What of MEDIA_ROOT the web process serves: snack pictures and nothing else.

Pictures are public on every shelf and are served in every settings, since a
production deployment has no other file server. Order invoices, also under
MEDIA_ROOT, belong to their member and go out only through the permission-checked
API. Django's `serve` keeps the path inside the folder (`..` finds nothing).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.static import serve

from snacks.images import SNACK_PICTURES


def snack_picture(request: HttpRequest, path: str) -> HttpResponseBase:
    """The picture at `path` under the pictures' folder, or 404."""
    folder = Path(settings.MEDIA_ROOT) / SNACK_PICTURES
    return serve(request, path, document_root=str(folder))
