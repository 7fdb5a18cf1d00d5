"""The alerting rules shipped for Prometheus: well formed, and about metrics the
service exports (a renamed metric would silence its alert without a word)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from config.celery import app
from config.metrics import BillingCollector, QueueDepthCollector

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
# PromQL words that look like names but are not metrics.
KEYWORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
     "group_right", "bool", "offset", "inf", "nan"}
)  # fmt: skip
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_MATCHERS = re.compile(r"\{[^}]*\}")
RANGES = re.compile(r"\[[^\]]*\]")
STRINGS = re.compile(r"\"[^\"]*\"|'[^']*'")
# `by (gateway)`, `on (consumer)`, `group_left (a, b)`: label lists, not metrics.
LABEL_LISTS = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
)
NUMBERS = re.compile(r"\b\d+(\.\d+)?(ms|[smhdwy])?\b")


def _exported() -> set[str]:
    collectors = (
        BillingCollector(),
        QueueDepthCollector(app=app, queues=(), timeout=1.0),
    )
    return {family.name for collector in collectors for family in collector.describe()}


def metric_names(expression: str) -> set[str]:
    """The metrics a PromQL expression reads: names that are not functions,
    keywords, label names or durations."""
    bare = STRINGS.sub("", expression)
    for pattern in (LABEL_MATCHERS, RANGES, LABEL_LISTS, NUMBERS):
        bare = pattern.sub(" ", bare)
    names = set()
    for found in IDENTIFIER.finditer(bare):
        followed_by = bare[found.end() :].lstrip()[:1]
        if found.group() not in KEYWORDS and followed_by != "(":
            names.add(found.group())
    return names


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


class TestMetricNames:
    def test_reads_the_metrics_of_an_expression(self) -> None:
        expression = (
            'max by (gateway) (rate(a_total{job="web", b="c"}[5m])) > 2 * 3600 '
            "and on (gateway) b_seconds offset 1h"
        )

        assert metric_names(expression) == {"a_total", "b_seconds"}


class TestAlertRules:
    def test_are_the_three_that_matter_most(self) -> None:
        assert [rule["alert"] for rule in _rules()] == [
            "BillingPaymentStuckUnknown",
            "BillingOutboxConsumerLagging",
            "BillingRenewalBacklog",
        ]

    @pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
    def test_each_pages_with_a_summary_and_a_description(
        self, rule: dict[str, Any]
    ) -> None:
        assert rule["labels"]["severity"] == "page"
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["description"]

    @pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
    def test_each_reads_only_metrics_the_service_exports(
        self, rule: dict[str, Any]
    ) -> None:
        """The expression's metrics, and those its description tells to look at."""
        exported = _exported()
        described = set(
            re.findall(r"\bbilling_\w+", rule["annotations"]["description"])
        )

        assert metric_names(rule["expr"]) <= exported
        assert metric_names(rule["expr"])
        assert described <= exported


class TestAlertRuleTests:
    def test_test_every_alert_on_series_the_service_exports(self) -> None:
        """`promtool test rules` runs them (docs/operations.md#alerts)."""
        document = yaml.safe_load(RULE_TESTS.read_text())
        tested = {
            case["alertname"]
            for test in document["tests"]
            for case in test["alert_rule_test"]
        }
        series = {
            name
            for test in document["tests"]
            for each in test["input_series"]
            for name in metric_names(each["series"])
        }

        assert document["rule_files"] == [RULES.name]
        assert tested == {rule["alert"] for rule in _rules()}
        assert series <= _exported()
