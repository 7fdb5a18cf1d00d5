"""The sandbox card page (`/__sandbox/checkout`) and what its cryptograms pay."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import urllib.parse

import pytest
import requests
from cloudpayments import CloudPayments

from gateway_sandbox.app import Sandbox
from gateway_sandbox.cloudpayments import decode_cryptogram
from tests.gateway_sandbox.cloudpayments_merchant import client_for


def checkout(sandbox_url: str, **query: str) -> requests.Response:
    return requests.get(f"{sandbox_url}/__sandbox/checkout", params=query, timeout=5)


def page_script(page: str) -> str:
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.DOTALL)
    assert len(scripts) == 1
    return scripts[0]


def page_config(page: str) -> dict[str, object]:
    match = re.search(
        r"<script id='config' type='application/json'>(.*?)</script>", page, re.DOTALL
    )
    assert match is not None
    return json.loads(match[1])


class TestCheckoutPage:
    def test_serves_a_self_contained_card_form(self, sandbox_url: str) -> None:
        response = checkout(sandbox_url)

        page = response.text
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert "<form id='card-form'" in page
        assert "value='cloudpayments'" in page and "value='stripe'" in page
        assert "4000 0000 0000 3055" in page
        assert "4012 8888 8888 1881" in page
        assert re.search(r"""(src|href)=['"]?(https?:)?//""", page) is None
        assert "window.parent.postMessage" in page

    def test_a_chosen_gateway_replaces_the_selector(self, sandbox_url: str) -> None:
        page = checkout(sandbox_url, gateway="stripe").text

        assert "name='gateway'" not in page
        assert page_config(page)["gateway"] == "stripe"
        assert "/__sandbox/stripe/payment_methods" in page

    @pytest.mark.parametrize(
        "query",
        [
            {"gateway": "paypal"},
            {"return_url": "javascript:alert(1)"},
            {"return_url": "//evil.example/steal"},
        ],
    )
    def test_refuses_bad_parameters(
        self, sandbox_url: str, query: dict[str, str]
    ) -> None:
        response = checkout(sandbox_url, **query)

        assert response.status_code == 400
        assert "alert(1)" not in response.text

    def test_escapes_the_return_url(self, sandbox_url: str) -> None:
        """A return_url cannot break out of the page's script or markup."""
        hostile = "https://shop.example/back?x=</script><script>alert(1)</script>&y='\""

        page = checkout(sandbox_url, gateway="cloudpayments", return_url=hostile).text

        assert "<script>alert(1)" not in page
        assert page_config(page)["returnUrl"] == hostile


class TestCheckoutCryptogram:
    def test_the_page_script_makes_a_packet_the_gateway_pays(
        self, sandbox_url: str, sandbox: Sandbox
    ) -> None:
        """The page's own JS (run in Node) makes an sbx1 packet the gateway accepts."""
        node = shutil.which("node")
        assert node is not None, "Node.js is part of the machine (env/machines)"
        script = page_script(checkout(sandbox_url).text)
        card = {"number": "4000 0000 0000 3055", "exp": "12/30", "cvv": "123",
                "name": "Иван Петров"}  # fmt: skip
        call = f"cloudPaymentsCryptogram({json.dumps(card)})"
        program = f"{script}\nprocess.stdout.write({call});"

        result = subprocess.run(
            [node, "-e", program],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )

        packet = result.stdout
        decoded = decode_cryptogram(packet)
        assert packet.startswith("sbx1:") and "=" not in packet
        assert (decoded.number, decoded.exp_text, decoded.name) == (
            "4000000000003055",
            "12/30",
            "Иван Петров",
        )
        client: CloudPayments = client_for(sandbox_url, sandbox)
        assert client.charge_card(packet, 10, "RUB", "I", "203.0.113.7").status == (
            "Completed"
        )

    def test_the_redirect_keeps_the_return_url_query(self, sandbox_url: str) -> None:
        """`withParam` adds the result to a return_url that already has a query."""
        node = shutil.which("node")
        assert node is not None
        script = page_script(checkout(sandbox_url).text)
        program = (
            "var window = {location: {href: 'http://127.0.0.1/'}};\n"
            f"{script}\n"
            "process.stdout.write(withParam("
            "'https://shop.example/pay?order=42&lang=ru', 'cryptogram', 'sbx1:abc'));"
        )

        result = subprocess.run(
            [node, "-e", program],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )

        query = urllib.parse.parse_qs(urllib.parse.urlsplit(result.stdout).query)
        assert query == {"order": ["42"], "lang": ["ru"], "cryptogram": ["sbx1:abc"]}

    def test_the_cryptogram_helper_refuses_a_malformed_card(
        self, sandbox_url: str
    ) -> None:
        response = requests.post(
            f"{sandbox_url}/__sandbox/cp/cryptogram",
            json={"number": "4000", "exp": "1330", "cvv": "1"},
            timeout=5,
        )

        assert response.status_code == 400
        assert "number" in html.unescape(response.json()["error"])
