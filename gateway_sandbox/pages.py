"""Browser pages that stand in for the gateways' card widgets [SANDBOX].

`GET /__sandbox/checkout` is a card form that turns a test card into what the real
widget would hand the merchant page: a CloudPayments cryptogram (made in the browser,
in the `sbx1:` format of GATEWAYS.md A6) or a Stripe PaymentMethod id (asked of
`POST /__sandbox/stripe/payment_methods`).

Query parameters: `gateway=cloudpayments|stripe` (without it the page offers both) and
`return_url`: when given, the browser is sent there with `cryptogram=…` or
`payment_method=…` added to its query; otherwise the page shows the result and posts
`{type: "sandbox-card", gateway, cryptogram | payment_method}` to `window.parent`.

The page is self-contained (inline CSS and JS, no external assets) and every value put
into it is escaped. The 3-D Secure page (ACS) lives with the CloudPayments gateway.
"""

from __future__ import annotations

import html
import json
import urllib.parse

from aiohttp import web

GATEWAYS = ("cloudpayments", "stripe")

# (gateway, number, what happens) shown for a person to click; GATEWAYS.md A5 and C6.
TEST_CARDS: tuple[tuple[str, str, str], ...] = (
    ("cloudpayments", "4000 0000 0000 3055", "success, no 3-D Secure"),
    ("cloudpayments", "4242 4242 4242 4242", "3-D Secure, then success"),
    ("cloudpayments", "4111 1111 1111 1111", "success; later token payments: 5051"),
    (
        "cloudpayments",
        "4012 8888 8888 1881",
        "3-D Secure, then 5051 insufficient funds",
    ),
    ("cloudpayments", "4000 0566 5566 5556", "5051 insufficient funds"),
    ("stripe", "4242 4242 4242 4242", "succeeds"),
    ("stripe", "4000 0000 0000 0002", "card_declined / generic_decline"),
    ("stripe", "4000 0000 0000 9995", "card_declined / insufficient_funds"),
    ("stripe", "4000 0027 6000 3184", "3-D Secure on every payment"),
    ("stripe", "4000 0025 0000 3155", "3-D Secure on setup, then off-session OK"),
)
DEFAULT_EXPIRY = "12/30"
DEFAULT_CVV = "123"


def routes() -> list[web.RouteDef]:
    return [web.get("/__sandbox/checkout", checkout)]


async def checkout(request: web.Request) -> web.Response:
    gateway = request.query.get("gateway") or None
    if gateway is not None and gateway not in GATEWAYS:
        return _error("gateway must be cloudpayments or stripe")
    return_url = request.query.get("return_url") or None
    if return_url is not None and not _is_safe_return_url(return_url):
        return _error("return_url must be an http(s) address or a path")
    body = render_checkout(gateway=gateway, return_url=return_url)
    return web.Response(text=body, content_type="text/html", charset="utf-8")


def _is_safe_return_url(url: str) -> bool:
    # A javascript: or data: address would run script in the page's origin.
    parts = urllib.parse.urlsplit(url)
    if parts.scheme:
        return parts.scheme in ("http", "https") and bool(parts.netloc)
    return url.startswith("/") and not url.startswith("//")


def _error(message: str) -> web.Response:
    body = _document("Sandbox checkout", f"<p class='error'>{html.escape(message)}</p>")
    return web.Response(
        text=body, status=400, content_type="text/html", charset="utf-8"
    )


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `</script>` or comment can break out."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_STYLE = """
body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;
color:#222}
fieldset{border:1px solid #ccc;border-radius:.4rem;margin:0 0 1rem}
label{display:block;margin:.5rem 0}input{font-size:1rem;padding:.3rem;width:100%;
box-sizing:border-box}
input[type=radio]{width:auto;margin-right:.4rem}
fieldset label{display:inline-block;margin-right:1.5rem}
button{font-size:1rem;padding:.5rem 1rem}
.cards button{font-family:monospace;font-size:.85rem;margin:.15rem 0;width:100%;
text-align:left;background:#f4f4f4;border:1px solid #ddd}
.error{color:#a00}#result{word-break:break-all;font-family:monospace}
"""

# The cryptogram function is pure so that it can be checked outside a browser; the
# rest only runs where there is a document.
_SCRIPT = """
function base64url(text) {
  var bytes = new TextEncoder().encode(text), binary = "";
  for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
  return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
}
function cloudPaymentsCryptogram(card) {
  var exp = card.exp.replace(/\\D/g, "");
  return "sbx1:" + base64url(JSON.stringify({
    number: card.number.replace(/[\\s-]/g, ""), exp: exp, cvv: card.cvv.trim(),
    name: card.name || ""}));
}
function withParam(url, name, value) {
  var target = new URL(url, window.location.href);
  target.searchParams.set(name, value);
  return target.toString();
}
if (typeof document !== "undefined") {
  var config = JSON.parse(document.getElementById("config").textContent);
  var form = document.getElementById("card-form");
  var chosen = function () {
    if (config.gateway) return config.gateway;
    var picked = form.querySelector("input[name=gateway]:checked");
    return picked ? picked.value : "cloudpayments";
  };
  var showCards = function () {
    document.querySelectorAll(".cards li").forEach(function (item) {
      item.hidden = item.dataset.gateway !== chosen();
    });
    document.getElementById("name-row").hidden = chosen() !== "cloudpayments";
  };
  form.querySelectorAll("input[name=gateway]").forEach(function (input) {
    input.addEventListener("change", showCards);
  });
  document.querySelectorAll(".cards button").forEach(function (button) {
    button.addEventListener("click", function () {
      form.number.value = button.dataset.number;
      form.exp.value = config.defaultExpiry;
      form.cvv.value = config.defaultCvv;
    });
  });
  var finish = function (gateway, key, value) {
    if (config.returnUrl) {
      window.location.assign(withParam(config.returnUrl, key, value));
      return;
    }
    document.getElementById("result").textContent = key + " = " + value;
    var message = {type: "sandbox-card", gateway: gateway};
    message[key] = value;
    window.parent.postMessage(message, "*");
  };
  var fail = function (text) { document.getElementById("error").textContent = text; };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fail("");
    var card = {number: form.number.value, exp: form.exp.value, cvv: form.cvv.value,
                name: form.cardholder.value};
    var gateway = chosen();
    if (!/^\\d{2}\\/?\\d{2}$/.test(card.exp.trim())) {
      fail("Expiry must be MM/YY");
      return;
    }
    if (gateway === "cloudpayments") {
      finish(gateway, "cryptogram", cloudPaymentsCryptogram(card));
      return;
    }
    var exp = card.exp.replace(/\\D/g, "");
    fetch("/__sandbox/stripe/payment_methods", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({number: card.number.replace(/[\\s-]/g, ""),
        exp_month: Number(exp.slice(0, 2)), exp_year: 2000 + Number(exp.slice(2)),
        cvc: card.cvv.trim()})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok || !data.id) throw new Error(
          (data.error && data.error.message) || "The card was refused");
        finish(gateway, "payment_method", data.id);
      });
    }).catch(function (error) { fail(error.message); });
  });
  showCards();
}
"""


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def _gateway_choice(gateway: str | None) -> str:
    if gateway is not None:
        return f"<p>Gateway: <strong>{html.escape(gateway)}</strong></p>"
    options = "".join(
        f"<label><input type='radio' name='gateway' value='{name}'"
        f"{' checked' if index == 0 else ''}> {name}</label>"
        for index, name in enumerate(GATEWAYS)
    )
    return f"<fieldset><legend>Gateway</legend>{options}</fieldset>"


def _card_list() -> str:
    items = "".join(
        f"<li data-gateway='{html.escape(gateway)}'><button type='button' "
        f"data-number='{html.escape(number)}'>{html.escape(number)} — "
        f"{html.escape(outcome)}</button></li>"
        for gateway, number, outcome in TEST_CARDS
    )
    return (
        "<fieldset><legend>Test cards (click to fill)</legend>"
        f"<ul class='cards' style='list-style:none;padding:0'>{items}</ul></fieldset>"
    )


def render_checkout(*, gateway: str | None, return_url: str | None) -> str:
    config = {
        "gateway": gateway,
        "returnUrl": return_url,
        "defaultExpiry": DEFAULT_EXPIRY,
        "defaultCvv": DEFAULT_CVV,
    }
    form = (
        "<form id='card-form' autocomplete='off'>"
        + _gateway_choice(gateway)
        + "<label>Card number "
        "<input name='number' inputmode='numeric' required></label>"
        "<label>Expiry (MM/YY) <input name='exp' placeholder='12/30' required></label>"
        "<label>CVV <input name='cvv' inputmode='numeric' required></label>"
        "<label id='name-row'>Cardholder <input name='cardholder'></label>"
        "<button type='submit'>Pay</button></form>"
    )
    return _document(
        "Sandbox checkout",
        "<h1>Sandbox card form</h1>"
        "<p>Test cards only: the sandbox never sees a real card.</p>"
        + form
        + "<p id='error' class='error' role='alert'></p><p id='result'></p>"
        + _card_list()
        + f"<script id='config' type='application/json'>{_script_json(config)}</script>"
        + f"<script>{_SCRIPT}</script>",
    )
