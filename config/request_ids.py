"""The request id of each web request: the caller's `X-Request-ID` when well
formed, a new one otherwise (`kit.correlation`), sent back in the response's
`X-Request-ID`.

It is the first middleware, so that every line logged while a request is served
(host validation included) and every task the request starts carry the id;
webhooks pass through it too (`config.wsgi`). The id is held until Django's
`request_finished` (`forget_request_id`), not only until the middleware returns:
Django logs a failed response (`django.request`'s "Internal Server Error") after
the whole middleware chain has returned, and the WSGI server logs its access line
after that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from kit import correlation

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class RequestIdMiddleware:
    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = correlation.bind(request.headers.get(correlation.HTTP_HEADER))
        response = self.get_response(request)
        response[correlation.HTTP_HEADER] = request_id
        return response


def forget_request_id(sender: object, **kwargs: Any) -> None:
    """The request is over: a thread that serves the next one starts without an id."""
    correlation.unbind()
