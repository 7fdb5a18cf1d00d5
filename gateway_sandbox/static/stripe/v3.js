/*
 * Sandbox stand-in for Stripe.js (https://js.stripe.com/v3/) [SANDBOX].
 *
 * The same JavaScript API: `Stripe(publishableKey)`, `stripe.elements()`,
 * `elements.create("card")`, `card.mount(selector)`, `card.on("change", handler)`,
 * `stripe.createPaymentMethod({type: "card", card, billing_details})`,
 * `stripe.confirmCardPayment(clientSecret, {payment_method: {card} | "pm_…"})`,
 * `stripe.confirmCardSetup(...)` (the same for a SetupIntent) and
 * `stripe.handleNextAction({clientSecret})`, each resolving to `{paymentMethod}`,
 * `{paymentIntent}`, `{setupIntent}` or `{error}` as Stripe.js does. As in Stripe.js,
 * the card element is an iframe of the gateway's own origin (here the sandbox's): the
 * card number is typed there and sent from there to `POST /v1/payment_methods` with
 * the publishable key, so the merchant's page only ever holds the `pm_…` id. Intents
 * are read and confirmed with the publishable key and their client secret. Where
 * Stripe.js shows 3-D Secure in a modal, this one sends the page to the sandbox's
 * challenge, which comes back to `return_url` (default: the page itself) with
 * `payment_intent` or `setup_intent` in the query. The API it talks to is the origin
 * this script was loaded from.
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

  function intentPath(clientSecret) {
    var found = /^((pi|seti)_[A-Za-z0-9]+)_secret_/.exec(String(clientSecret || ""));
    if (!found) return null;
    return (found[2] === "pi" ? "/v1/payment_intents/" : "/v1/setup_intents/") + found[1];
  }

  Stripe.prototype._api = function (method, path, params) {
    var query = new URLSearchParams(params).toString();
    var init = {method: method, headers: {"Authorization": "Bearer " + this._key}};
    var url = apiOrigin + path;
    if (method === "GET") {
      url += "?" + query;
    } else {
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = query;
    }
    return fetch(url, init).then(function (response) {
      return response.json().then(function (data) {
        return response.ok ? {data: data} : {error: data.error || {message: "Stripe error"}};
      });
    }, function () {
      return {error: {type: "api_connection_error", message: "Stripe could not be reached."}};
    });
  };

  Stripe.prototype._paymentMethod = function (data) {
    var method = data && data.payment_method;
    if (typeof method === "string") return Promise.resolve({id: method});
    if (method && method.card instanceof CardElement) {
      return this.createPaymentMethod({type: "card", card: method.card,
        billing_details: method.billing_details}).then(function (result) {
        return result.error ? {error: result.error} : {id: result.paymentMethod.id};
      });
    }
    return Promise.resolve({error: {type: "validation_error",
      message: "payment_method must be {card: <card element>} or a PaymentMethod id"}});
  };

  Stripe.prototype._result = function (intent, handleActions) {
    var key = intent.object === "setup_intent" ? "setupIntent" : "paymentIntent";
    var redirect = intent.next_action && intent.next_action.redirect_to_url;
    if (intent.status === "requires_action" && redirect && handleActions !== false) {
      global.location.assign(redirect.url);
      return new Promise(function () {});  // The page is leaving for the challenge.
    }
    var result = {};
    result[key] = intent;
    return result;
  };

  Stripe.prototype._confirm = function (clientSecret, data, options) {
    var self = this;
    var path = intentPath(clientSecret);
    if (!path) {
      return Promise.resolve({error: {type: "validation_error",
        message: "Invalid value for clientSecret"}});
    }
    return this._paymentMethod(data).then(function (method) {
      if (method.error) return {error: method.error};
      return self._api("POST", path + "/confirm", {
        client_secret: clientSecret,
        payment_method: method.id,
        return_url: (data && data.return_url) || global.location.href
      }).then(function (reply) {
        if (reply.error) return {error: reply.error};
        return self._result(reply.data, options && options.handleActions);
      });
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data, options) {
    return this._confirm(clientSecret, data, options);
  };

  Stripe.prototype.confirmCardSetup = function (clientSecret, data, options) {
    return this._confirm(clientSecret, data, options);
  };

  Stripe.prototype.handleNextAction = function (options) {
    var self = this;
    var clientSecret = options && options.clientSecret;
    var path = intentPath(clientSecret);
    if (!path) {
      return Promise.resolve({error: {type: "validation_error",
        message: "Invalid value for clientSecret"}});
    }
    return this._api("GET", path, {client_secret: clientSecret}).then(function (reply) {
      return reply.error ? {error: reply.error} : self._result(reply.data, true);
    });
  };

  global.Stripe = Stripe;
})(window);
