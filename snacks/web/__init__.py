"""The shop's web pages (`/shop/`): server-rendered Django templates over the
shop's services and selectors, the same ones its REST API calls, with a little
JavaScript (`static/shop/`) that calls that API for what changes without a reload:
reactions, the live total of an order, and the progress of an order's work."""
