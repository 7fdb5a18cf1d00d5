// The shop's pages, where they change without a reload. Everything here calls the
// shop's REST API (/api/v1/shop/) with the page's session and CSRF token; the
// pages work from the server's HTML and this only keeps them current.
"use strict";

const shop = (() => {
  const csrfToken = () =>
    document.querySelector('meta[name="csrf-token"]')?.content ?? "";

  async function api(url, { method = "GET", body } = {}) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        ...(body === undefined
          ? {}
          : { "Content-Type": "application/json", "X-CSRFToken": csrfToken() }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(answer.message || `The shop answered ${response.status}.`);
    }
    return answer;
  }

  // An amount in minor units as the server writes it ("€2.50"): built from
  // integers into a decimal string, never through a float.
  function moneyText(amountMinor, currency, exponent) {
    const digits = String(Math.abs(amountMinor)).padStart(exponent + 1, "0");
    const whole = exponent ? digits.slice(0, -exponent) : digits;
    const decimal = exponent ? `${whole}.${digits.slice(-exponent)}` : whole;
    const format = new Intl.NumberFormat("en", {
      style: "currency",
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    return format.format(`${amountMinor < 0 ? "-" : ""}${decimal}`);
  }

  return { api, moneyText };
})();

// Reactions: like / hate toggle in place, and the shelf re-ranks itself by the
// live counts with the database's rule (docs/shop.md, "Ranking"): the share of
// likes (1/2 with none), then more reactions, then the name.
(() => {
  const share = (item) => {
    const likes = Number(item.dataset.likes);
    const hates = Number(item.dataset.hates);
    return likes + hates === 0 ? 0.5 : likes / (likes + hates);
  };

  function describeShare(item) {
    const line = item.querySelector("[data-share]");
    if (!line) return;
    const likes = Number(item.dataset.likes);
    const total = likes + Number(item.dataset.hates);
    line.textContent = total
      ? `${Math.round((100 * likes) / total)} % liked (${total} ${total === 1 ? "reaction" : "reactions"})`
      : "Not rated yet";
  }

  function rank(shelf) {
    const items = [...shelf.querySelectorAll("[data-snack]")];
    items.sort(
      (a, b) =>
        share(b) - share(a) ||
        Number(b.dataset.likes) + Number(b.dataset.hates) -
          (Number(a.dataset.likes) + Number(a.dataset.hates)) ||
        a.dataset.name.localeCompare(b.dataset.name, "en", { sensitivity: "base" }),
    );
    items.forEach((item) => shelf.append(item));
  }

  // One toggle at a time per snack. The buttons stay enabled (a disabled button
  // loses the keyboard's focus); moving the snack on the shelf also drops focus,
  // so the pressed button takes it back.
  async function react(button) {
    const box = button.closest("[data-reactions]");
    if (box.getAttribute("aria-busy") === "true") return;
    const item = button.closest("[data-snack]");
    const error = box.querySelector(".reaction-error");
    box.setAttribute("aria-busy", "true");
    try {
      const answer = await shop.api(box.dataset.url, {
        method: "POST",
        body: { kind: button.dataset.kind },
      });
      for (const kind of ["like", "hate"]) {
        box.querySelector(`[data-kind="${kind}"]`).setAttribute(
          "aria-pressed", String(answer.reaction === kind));
      }
      box.querySelector('[data-count="like"]').textContent = answer.likes;
      box.querySelector('[data-count="hate"]').textContent = answer.hates;
      item.dataset.likes = answer.likes;
      item.dataset.hates = answer.hates;
      error.hidden = true;
      describeShare(item);
      const shelf = item.closest("[data-shelf]");
      if (shelf) rank(shelf);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      box.removeAttribute("aria-busy");
      button.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-snack]").forEach(describeShare);
    document.querySelectorAll("[data-reactions] button").forEach((button) =>
      button.addEventListener("click", () => react(button)));
  });
})();

// The order form: the total of the quantities picked, as they are typed, per
// currency (an order holds one; the server says so when the picks mix them).
(() => {
  const snacks = (count) => `${count} ${count === 1 ? "snack" : "snacks"}`;

  // A quantity the server would refuse: not a whole number from 0 to 1,000.
  const refused = (input) =>
    input.value.trim() !== "" &&
    !(/^\d+$/.test(input.value.trim()) && Number(input.value) <= 1000);

  function showTotal(form) {
    const total = form.querySelector("[data-order-total]");
    const inputs = [...form.querySelectorAll("[data-price-minor]")];
    if (inputs.some(refused)) {
      total.textContent =
        "Give each quantity as a whole number from 0 to 1,000 to see the total";
      return;
    }
    const sums = new Map();
    inputs.forEach((input) => {
      const quantity = Number.parseInt(input.value, 10);
      if (!(quantity > 0)) return;
      const currency = input.dataset.currency || total.dataset.currency;
      const sum = sums.get(currency) ?? {
        amount: 0,
        count: 0,
        exponent: Number(input.dataset.exponent ?? total.dataset.exponent),
      };
      sum.amount += quantity * Number(input.dataset.priceMinor);
      sum.count += quantity;
      sums.set(currency, sum);
    });
    const parts = [...sums].map(
      ([currency, sum]) =>
        `${shop.moneyText(sum.amount, currency, sum.exponent)} (${snacks(sum.count)})`,
    );
    total.textContent = parts.length ? parts.join(" and ") : "Nothing picked yet";
    if (parts.length > 1) {
      total.textContent += " — an order holds one currency";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("form[data-order-form]").forEach((form) => {
      form.addEventListener("input", () => showTotal(form));
      showTotal(form);
    });
  });
})();

// An order's page: its work's progress from the task-status endpoint, and the page
// again when billing's news changes the order (its hold or its status).
(() => {
  const POLL_MILLISECONDS = 2000;
  const FINISHED = new Set(["SUCCESS", "FAILURE"]);
  const STATE_WORDS = {
    PENDING: "waiting",
    STARTED: "started",
    PROGRESS: "in progress",
    RETRY: "retrying",
    SUCCESS: "done",
    FAILURE: "failed",
  };

  async function followTask(row) {
    const state = row.querySelector("[data-task-state]");
    const detail = row.querySelector("[data-task-detail]");
    try {
      const task = await shop.api(row.dataset.taskUrl);
      state.textContent = STATE_WORDS[task.state] ?? task.state.toLowerCase();
      state.className = `badge badge-${task.state.toLowerCase()}`;
      detail.textContent = task.error || task.progress?.step || "";
      if (FINISHED.has(task.state)) return;
    } catch (failure) {
      detail.textContent = failure.message;
    }
    setTimeout(() => followTask(row), POLL_MILLISECONDS);
  }

  async function followOrder(page) {
    try {
      const order = await shop.api(page.dataset.orderUrl);
      if (
        order.status !== page.dataset.status ||
        order.hold_status !== page.dataset.holdStatus ||
        Boolean(order.invoice_pdf) !== (page.dataset.invoice === "yes") ||
        (order.tracking_number || "") !== page.dataset.tracking
      ) {
        // A page a form posted to is not posted again: the order's own page is.
        if (window.location.pathname === page.dataset.pageUrl) {
          window.location.reload();
        } else {
          window.location.assign(page.dataset.pageUrl);
        }
        return;
      }
    } catch {
      // The next poll tries again.
    }
    setTimeout(() => followOrder(page), POLL_MILLISECONDS);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-task-url]").forEach((row) => followTask(row));
    // A settled order (closed, its hold final, its work done) changes no more.
    document.querySelectorAll('[data-order-url]:not([data-final="yes"])').forEach(
      (page) => setTimeout(() => followOrder(page), POLL_MILLISECONDS));
  });
})();
