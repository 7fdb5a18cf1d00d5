"""`load_demo_data`: staff users with printed credentials, loaded idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import ShopRole, User
from config.management.commands.load_demo_data import DEMO_STAFF
from subscriptions.models import Plan, PlanPrice

pytestmark = pytest.mark.django_db


class TestLoadDemoData:
    def test_creates_staff_with_roles_and_prints_their_credentials(self) -> None:
        out = io.StringIO()

        call_command("load_demo_data", stdout=out)

        support = User.objects.get(email="support@example.com")
        accounting = User.objects.get(email="accounting@example.com")
        admin = User.objects.get(email="admin@example.com")
        assert list(support.groups.values_list("name", flat=True)) == ["support"]
        assert list(accounting.groups.values_list("name", flat=True)) == ["accounting"]
        approver = User.objects.get(email="approver@example.com")
        assert list(approver.groups.values_list("name", flat=True)) == ["accounting"]
        assert approver.check_password("approver-demo-2026")
        assert admin.is_superuser and support.is_staff and not support.is_superuser
        assert "support-demo-2026" in out.getvalue()
        assert support.check_password("support-demo-2026")

    def test_creates_a_shop_admin_and_keeps_the_member_a_member(self) -> None:
        """The shop's roles are the users' own, apart from the staff roles."""
        out = io.StringIO()

        call_command("load_demo_data", stdout=out)

        shop_admin = User.objects.get(email="shop-admin@example.com")
        member = User.objects.get(email="member@example.com")
        assert shop_admin.role == ShopRole.ADMIN and not shop_admin.is_staff
        assert shop_admin.check_password("shop-admin-demo-2026")
        assert "shop-admin-demo-2026" in out.getvalue()
        assert member.role == ShopRole.MEMBER

    def test_running_twice_changes_nothing(self) -> None:
        call_command("load_demo_data", stdout=io.StringIO())
        User.objects.filter(email="support@example.com").update(name="Changed")

        call_command("load_demo_data", stdout=io.StringIO())

        # The staff, the member and the shop's admin: once each.
        demo_users = len(DEMO_STAFF) + 2
        assert User.objects.filter(email__endswith="@example.com").count() == demo_users
        assert User.objects.get(email="support@example.com").name == "Sam Support"

    def test_with_a_web_address_opens_a_checkout_page_per_gateway(self) -> None:
        from payments.models import CheckoutSession

        out = io.StringIO()

        call_command("load_demo_data", web_url="http://127.0.0.1:8000/", stdout=out)

        sessions = CheckoutSession.objects.order_by("gateway")
        assert [s.gateway for s in sessions] == ["cloudpayments", "stripe"]
        for session in sessions:
            assert f"http://127.0.0.1:8000/checkout/{session.id}/" in out.getvalue()


class TestDemoSnacks:
    def test_puts_snacks_on_the_shelf_and_prints_them(self) -> None:
        from snacks.models import Snack

        out = io.StringIO()

        call_command("load_demo_data", stdout=out)

        pretzels = Snack.objects.get(name="Salted pretzels")
        assert (pretzels.amount_minor, pretzels.currency) == (250, "EUR")
        assert "Salted pretzels" in out.getvalue() and "2.50 EUR" in out.getvalue()

    def test_running_twice_keeps_one_of_each_and_the_admins_changes(self) -> None:
        from snacks.models import Snack

        call_command("load_demo_data", stdout=io.StringIO())
        Snack.objects.filter(name="Gummy bears").update(amount_minor=199)

        call_command("load_demo_data", stdout=io.StringIO())

        assert Snack.objects.filter(name="Gummy bears").count() == 1
        assert Snack.objects.get(name="Gummy bears").amount_minor == 199
        assert Snack.objects.count() == 5


class TestDemoPlans:
    def test_offers_the_cinema_plans(self) -> None:
        out = io.StringIO()

        call_command("load_demo_data", stdout=out)

        plans = {
            plan.code: (
                plan.name,
                plan.current_price.amount.format() if plan.current_price else None,
                plan.interval,
                plan.trial_days,
                plan.gateway,
            )
            for plan in Plan.objects.select_related("current_price")
        }
        cp = "cloudpayments"
        assert plans == {
            "cinema-monthly": ("Cinema monthly", "599.00 RUB", "month", 0, cp),
            "cinema-yearly": ("Cinema yearly", "5,990.00 RUB", "year", 0, cp),
            "cinema-trial": ("Cinema trial", "599.00 RUB", "month", 14, cp),
            "cinema-usd": ("Cinema (USD)", "9.99 USD", "month", 0, "stripe"),
        }
        assert "cinema-trial" in out.getvalue() and "14-day trial" in out.getvalue()

    def test_running_twice_adds_no_plan_and_keeps_their_prices(self) -> None:
        call_command("load_demo_data", stdout=io.StringIO())

        call_command("load_demo_data", stdout=io.StringIO())

        assert Plan.objects.count() == 4
        assert PlanPrice.objects.count() == 4
