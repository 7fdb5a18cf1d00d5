/*
 * Sandbox stand-in for Stripe.js (https://js.stripe.com/v3/) [SANDBOX].
 *
 * The same JavaScript API for a card payment confirmed on the server:
 * `Stripe(publishableKey)`, `stripe.elements()`, `elements.create("card")`,
 * `card.mount(selector)`, `card.on("change", handler)` and
 * `stripe.createPaymentMethod({type: "card", card, billing_details})`, which resolves
 * to `{paymentMethod}` or `{error}` as Stripe.js does. As in Stripe.js, the card
 * element is an iframe of the gateway's own origin (here the sandbox's): the card
 * number is typed there and sent from there to `POST /v1/payment_methods` with the
 * publishable key, so the merchant's page only ever holds the `pm_…` id. The API it
 * talks to is the origin this script was loaded from.
 */
(function (global) {
  "use strict";

  var script = document.currentScript;
  var apiOrigin = new URL(script ? script.src : global.location.href).origin;
  var SOURCE = "sandbox-stripe";
  var requests = 0;

  function CardElement(key, options) {
    this._key = key;
    this._options = options || {};
    this._frame = null;
    this._handlers = {};
    this._pending = {};
    var self = this;
    global.addEventListener("message", function (event) {
      if (event.origin !== apiOrigin || !self._frame) return;
      if (event.source !== self._frame.contentWindow) return;
      var data = event.data;
      if (!data || data.source !== SOURCE) return;
      if (data.event) {
        (self._handlers[data.event] || []).forEach(function (handler) {
          handler(data.payload || {});
        });
        return;
      }
      var resolve = self._pending[data.id];
      if (resolve) {
        delete self._pending[data.id];
        resolve(data.result);
      }
    });
  }

  CardElement.prototype.mount = function (target) {
    var container = typeof target === "string" ? document.querySelector(target) : target;
    if (!container) throw new Error("card.mount(): no element matches " + target);
    var frame = document.createElement("iframe");
    var query = new URLSearchParams({key: this._key, origin: global.location.origin});
    frame.src = apiOrigin + "/__sandbox/stripe/elements/card?" + query.toString();
    frame.title = "Secure card payment input frame";
    frame.name = "__privateStripeFrame";
    frame.setAttribute("frameborder", "0");
    frame.setAttribute("scrolling", "no");
    frame.style.width = "100%";
    frame.style.height = "9rem";
    frame.style.border = "0";
    container.appendChild(frame);
    this._frame = frame;
  };

  CardElement.prototype.on = function (name, handler) {
    (this._handlers[name] = this._handlers[name] || []).push(handler);
  };

  CardElement.prototype._ask = function (action, payload) {
    var self = this;
    if (!this._frame) {
      return Promise.resolve({error: {type: "validation_error",
        message: "The card element is not mounted."}});
    }
    requests += 1;
    var id = requests;
    return new Promise(function (resolve) {
      self._pending[id] = resolve;
      self._frame.contentWindow.postMessage(
        {source: SOURCE, id: id, action: action, payload: payload}, apiOrigin);
    });
  };

  function Elements(key) {
    this._key = key;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== "card") throw new Error("The sandbox's Stripe.js has the card element only");
    return new CardElement(this._key, options);
  };

  function Stripe(key) {
    if (!(this instanceof Stripe)) return new Stripe(key);
    if (typeof key !== "string" || key.indexOf("pk_") !== 0) {
      throw new Error("Stripe(): a publishable key (pk_…) is required");
    }
    this._key = key;
  }

  Stripe.prototype.elements = function () {
    return new Elements(this._key);
  };

  Stripe.prototype.createPaymentMethod = function (options) {
    if (!options || options.type !== "card" || !(options.card instanceof CardElement)) {
      return Promise.resolve({error: {type: "validation_error",
        message: "createPaymentMethod needs {type: 'card', card: <card element>}"}});
    }
    return options.card._ask("createPaymentMethod", {
      billing_details: options.billing_details || {}
    });
  };

  global.Stripe = Stripe;
})(window);
