// Draws a position's price chart: candles and its fills from the JSON block the page names
// in `data-price-chart`. Loaded as a file so the page needs no inline script.
(function () {
  "use strict";

  function draw(container) {
    var source = document.getElementById(container.getAttribute("data-price-chart"));
    if (!source || !window.LightweightCharts) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var charts = window.LightweightCharts;
    var chart = charts.createChart(container, {
      autoSize: true,
      // The logo would inject a <style> element, which the CSP refuses; the page credits
      // TradingView in the figure's caption instead.
      layout: { attributionLogo: false, textColor: "#1a1d21", background: { color: "#ffffff" } },
      grid: { vertLines: { color: "#eef0f3" }, horzLines: { color: "#eef0f3" } },
      timeScale: { timeVisible: data.intraday, secondsVisible: false },
    });
    var candles = chart.addSeries(charts.CandlestickSeries, {
      upColor: "#0a6b2d",
      downColor: "#b3261e",
      borderVisible: false,
      wickUpColor: "#0a6b2d",
      wickDownColor: "#b3261e",
    });
    candles.setData(data.bars);
    (data.lines || []).forEach(function (line) {
      candles.createPriceLine({
        price: line.price,
        color: line.color,
        lineWidth: 1,
        lineStyle: 2, // LineStyle.Dashed
        axisLabelVisible: true,
        title: line.title,
      });
    });
    charts.createSeriesMarkers(candles, data.markers);
    chart.timeScale().fitContent();
    container.setAttribute("data-drawn", "true");
  }

  function drawAll() {
    document.querySelectorAll("[data-price-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
