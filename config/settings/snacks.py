"""The snack shop: where reactions are counted, how it reaches billing and its
shipping partner."""

from __future__ import annotations

from config import env as environment

# Reactions are counted in Redis sets (snacks/reaction_sets.py) and persisted by
# the `snacks.persist_reactions` beat task every REACTIONS_PERSIST_SECONDS.
SNACKS_REDIS_URL = environment.SNACKS_REDIS_URL

# The port the order flow asks billing through (snacks/billing_calls.py).
SHOP_BILLING_CALLS = "snacks.billing_grpc.GrpcBillingCalls"
SHOP_BILLING_GRPC_TARGET = environment.SHOP_BILLING_GRPC_TARGET
SHOP_BILLING_TOKEN = environment.SHOP_BILLING_TOKEN
SHOP_BILLING_TIMEOUT_SECONDS = environment.SHOP_BILLING_TIMEOUT_SECONDS
SHOP_CHECKOUT_RETURN_URL = environment.SHOP_CHECKOUT_RETURN_URL
# The name the shop's cursor in billing's event stream is kept under.
SHOP_EVENTS_CONSUMER = "shop"

# The shipping partner (snacks/shipping.py); local and test settings keep the
# default, the gateway sandbox's partner, and production refuses it.
SHOP_SHIPPING_URL = environment.SHOP_SHIPPING_URL
SHOP_SHIPPING_API_KEY = environment.SHOP_SHIPPING_API_KEY
SHOP_SHIPPING_TIMEOUT_SECONDS = environment.SHOP_SHIPPING_TIMEOUT_SECONDS
SHOP_SHIPPING_MAX_ATTEMPTS = environment.SHOP_SHIPPING_MAX_ATTEMPTS
SHOP_SHIPPING_RETRY_BASE_SECONDS = environment.SHOP_SHIPPING_RETRY_BASE_SECONDS
SHOP_SHIPPING_RETRY_CAP_SECONDS = environment.SHOP_SHIPPING_RETRY_CAP_SECONDS
