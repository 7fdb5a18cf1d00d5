/*
 * Sandbox stand-in for CloudPayments' checkout script
 * (https://widget.cloudpayments.ru/bundles/checkout) [SANDBOX].
 *
 * The same JavaScript API: `new cp.Checkout({publicId, container})` reads the card
 * from the merchant's inputs marked `data-cp="cardNumber"`, `"expDateMonth"`,
 * `"expDateYear"` (or `"expDateMonthYear"`), `"cvv"` and `"name"` inside `container`;
 * `checkout.createPaymentCryptogram()` resolves to the card cryptogram (or rejects
 * with `{field: message}`), and `createCryptogramPacket()` answers
 * `{success, packet, messages}`. Instead of the RSA-encrypted packet of the real
 * script it makes the sandbox's `sbx1:` cryptogram (GATEWAYS.md A6), which only the
 * sandbox accepts. The card never leaves the browser except inside the cryptogram.
 */
(function (global) {
  "use strict";

  function digits(value) {
    return String(value || "").replace(/\D/g, "");
  }

  function base64url(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function luhnValid(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var digit = Number(number.charAt(number.length - 1 - i));
      if (i % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function Checkout(options) {
    if (!(this instanceof Checkout)) return new Checkout(options);
    if (!options || !options.publicId) {
      throw new Error("cp.Checkout: publicId is required");
    }
    var container = options.container;
    if (typeof container === "string") container = document.getElementById(container);
    if (!container || typeof container.querySelector !== "function") {
      throw new Error("cp.Checkout: container must be an element");
    }
    this.publicId = options.publicId;
    this.container = container;
  }

  Checkout.prototype._field = function (name) {
    var input = this.container.querySelector('[data-cp="' + name + '"]');
    return input ? input.value : "";
  };

  Checkout.prototype._card = function (values) {
    values = values || {};
    var pick = function (self, name) {
      return values[name] !== undefined ? values[name] : self._field(name);
    };
    var month = digits(pick(this, "expDateMonth"));
    var year = digits(pick(this, "expDateYear"));
    var monthYear = digits(pick(this, "expDateMonthYear"));
    if (monthYear) {
      month = monthYear.slice(0, 2);
      year = monthYear.slice(2);
    }
    return {
      number: digits(pick(this, "cardNumber")),
      month: month.length === 1 ? "0" + month : month,
      year: year.length === 4 ? year.slice(2) : year,
      cvv: digits(pick(this, "cvv")),
      name: String(pick(this, "name") || "").trim()
    };
  };

  Checkout.prototype.createCryptogramPacket = function (values) {
    var card = this._card(values);
    var messages = {};
    if (card.number.length < 13 || card.number.length > 19 || !luhnValid(card.number)) {
      messages.cardNumber = "Invalid card number";
    }
    var month = Number(card.month);
    if (!/^\d{2}$/.test(card.month) || month < 1 || month > 12) {
      messages.expDateMonth = "Invalid expiration month";
    }
    if (!/^\d{2}$/.test(card.year)) messages.expDateYear = "Invalid expiration year";
    if (!/^\d{3,4}$/.test(card.cvv)) messages.cvv = "Invalid CVV";
    if (Object.keys(messages).length) return {success: false, messages: messages};
    var packet = "sbx1:" + base64url(JSON.stringify({
      number: card.number, exp: card.month + card.year, cvv: card.cvv, name: card.name
    }));
    return {success: true, packet: packet, messages: {}};
  };

  Checkout.prototype.createPaymentCryptogram = function (values) {
    var result = this.createCryptogramPacket(values);
    return result.success ? Promise.resolve(result.packet) : Promise.reject(result.messages);
  };

  global.cp = global.cp || {};
  global.cp.Checkout = Checkout;
})(window);
