// Draws the dashboard's charts from the JSON the page carries (#console-charts). A file, not an inline script:
// the admin's Content-Security-Policy allows scripts from our own origin only.
(function () {
  "use strict";

  function draw() {
    var source = document.getElementById("console-charts");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var charts = JSON.parse(source.textContent);
    var base = { responsive: true, maintainAspectRatio: false, animation: false };

    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.dataset.chart;
      var config = null;
      if (kind === "daily") {
        var daily = charts.daily[canvas.dataset.currency];
        config = {
          type: "bar",
          data: { labels: daily.labels, datasets: daily.datasets },
          options: Object.assign({}, base, { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } }),
        };
      } else if (kind === "rates") {
        config = {
          type: "bar",
          data: { labels: charts.rates.labels, datasets: [{ label: "success rate (%)", data: charts.rates.data }] },
          options: Object.assign({}, base, { indexAxis: "y", scales: { x: { min: 0, max: 100 } } }),
        };
      } else if (kind === "contributions") {
        config = {
          type: "doughnut",
          data: { labels: charts.contributions.labels, datasets: [{ data: charts.contributions.data }] },
          options: base,
        };
      } else if (kind === "loans") {
        config = {
          type: "bar",
          data: {
            labels: charts.loans.labels,
            datasets: [
              { label: "outstanding", data: charts.loans.outstanding },
              { label: "in arrears", data: charts.loans.in_arrears },
            ],
          },
          options: Object.assign({}, base, { scales: { y: { beginAtZero: true } } }),
        };
      }
      if (config) {
        new window.Chart(canvas, config);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
