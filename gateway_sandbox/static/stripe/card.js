/*
 * The sandbox's card element frame [SANDBOX]: what Stripe.js's card iframe does.
 * Only the page named by `origin` may ask it for a PaymentMethod; the card goes
 * from here to the sandbox's `POST /v1/payment_methods` with the publishable key.
 */
(function () {
  "use strict";

  var SOURCE = "sandbox-stripe";
  var query = new URLSearchParams(window.location.search);
  var key = query.get("key") || "";
  var parentOrigin = query.get("origin") || "";
  var form = document.getElementById("card");

  function card() {
    var exp = form["exp-date"].value.replace(/\D/g, "");
    return {
      number: form.cardnumber.value.replace(/[\s-]/g, ""),
      exp_month: exp.slice(0, 2),
      exp_year: exp.length > 2 ? String(2000 + Number(exp.slice(2, 4))) : "",
      cvc: form.cvc.value.trim()
    };
  }

  function tell(message) {
    message.source = SOURCE;
    window.parent.postMessage(message, parentOrigin);
  }

  form.addEventListener("input", function () {
    var entered = card();
    tell({event: "change", payload: {elementType: "card", empty: !entered.number,
      complete: entered.number.length >= 13 && entered.exp_year !== "" &&
        entered.cvc.length >= 3}});
  });

  function createPaymentMethod(payload) {
    var entered = card();
    var body = new URLSearchParams({
      "type": "card",
      "card[number]": entered.number,
      "card[exp_month]": entered.exp_month,
      "card[exp_year]": entered.exp_year,
      "card[cvc]": entered.cvc
    });
    var details = (payload && payload.billing_details) || {};
    Object.keys(details).forEach(function (name) {
      if (typeof details[name] === "string") {
        body.append("billing_details[" + name + "]", details[name]);
      }
    });
    return fetch("/v1/payment_methods", {
      method: "POST",
      headers: {"Authorization": "Bearer " + key,
        "Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString()
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) return {error: data.error || {message: "The card was refused"}};
        return {paymentMethod: data};
      });
    }, function () {
      return {error: {type: "api_connection_error",
        message: "The card could not be sent; try again."}};
    });
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    var data = event.data;
    if (!data || data.source !== SOURCE || data.action !== "createPaymentMethod") return;
    createPaymentMethod(data.payload).then(function (result) {
      tell({id: data.id, result: result});
    });
  });
})();
