// The statistics page's charts, drawn with Chart.js (shop/vendor/chart.umd.min.js,
// loaded before this file) from the numbers the server wrote in #statistics-data.
// The same numbers are in the page's tables; the charts only draw them. When both
// are drawn, [data-statistics] and <body> get data-charts-drawn="yes".
"use strict";

(() => {
  // Status colours with a text legend beside them: the words carry the meaning,
  // never the colour alone.
  const STATUS_COLOURS = {
    CREATED: "#0b5cad",
    APPROVED: "#b07800",
    ORDERED: "#6b3fc4",
    SHIPPING: "#00838f",
    COMPLETED: "#1d6b33",
    CANCELED: "#a3231a",
  };
  const CURRENCY_COLOURS = ["#0b5cad", "#b07800", "#1d6b33", "#6b3fc4", "#a3231a", "#00838f"];

  const common = (stacked) => ({
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    scales: {
      x: { stacked, ticks: { autoSkip: true, maxRotation: 45 } },
      y: { stacked, beginAtZero: true },
    },
    plugins: { legend: { position: "bottom" } },
  });

  function drawOrders(canvas, data) {
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.orders.map((status) => ({
          label: status.label,
          data: status.counts,
          backgroundColor: STATUS_COLOURS[status.status] ?? "#4d5860",
        })),
      },
      options: {
        ...common(true),
        scales: {
          ...common(true).scales,
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }

  function drawAmounts(canvas, data) {
    const byCurrency = Object.fromEntries(data.amounts.map((a) => [a.currency, a]));
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        // Major units ("2.50") for the axis only; the tooltips show the exact
        // minor units as money, as the tables do.
        datasets: data.amounts.map((amount, index) => ({
          label: amount.currency,
          data: amount.major.map(Number),
          backgroundColor: CURRENCY_COLOURS[index % CURRENCY_COLOURS.length],
        })),
      },
      options: {
        ...common(false),
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: (item) => {
                const amount = byCurrency[item.dataset.label];
                return `${amount.currency}: ${shop.moneyText(
                  amount.minor[item.dataIndex], amount.currency, amount.exponent)}`;
              },
            },
          },
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const source = document.getElementById("statistics-data");
    const box = document.querySelector("[data-statistics]");
    if (!source || !box || typeof Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const orders = document.getElementById("orders-chart");
    const amounts = document.getElementById("amounts-chart");
    if (orders) drawOrders(orders, data);
    if (amounts) drawAmounts(amounts, data);
    box.dataset.chartsDrawn = "yes";
    document.body.dataset.chartsDrawn = "yes";
  });
})();
