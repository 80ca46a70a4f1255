/* Render every <div class="echart" data-chart="…"> with the locally served Apache ECharts.
   A value that carries a url is a link: clicking its bar, point or slice opens the list behind it. */
(function () {
  "use strict";
  function option(spec) {
    var pie = spec.kind === "pie";
    var horizontal = spec.kind === "hbar";
    var series = spec.series.map(function (s) {
      var item = {
        name: s.name,
        type: pie ? "pie" : (spec.kind === "line" ? "line" : "bar"),
        stack: s.stack || undefined,
        itemStyle: { color: s.color },
        data: s.data.map(function (d, i) {
          var point = { value: d.value, url: d.url };
          if (pie) { point.name = spec.categories[i]; }
          return point;
        }),
        cursor: "pointer",
        label: { show: pie, formatter: pie ? "{b}: {c}" : undefined }
      };
      if (pie) { item.radius = ["35%", "65%"]; }
      return item;
    });
    // A series may colour each category (slices or bars of lights keep the light's colour).
    spec.series.forEach(function (s, k) {
      series[k].data.forEach(function (d, i) {
        var c = (s.colors || [])[i];
        if (c) { d.itemStyle = { color: c }; }
      });
    });
    var category = { type: "category", data: spec.categories, axisLabel: { interval: 0, hideOverlap: true } };
    var value = { type: "value", name: spec.unit || "", minInterval: 1 };
    return {
      animation: false,
      tooltip: { trigger: pie ? "item" : "axis", confine: true },
      legend: { show: spec.series.length > 1 || pie, bottom: 0, type: "scroll" },
      // Room for the axis unit's name: above a vertical value axis, right of a horizontal one.
      grid: { left: 8, right: horizontal && spec.unit ? 56 : 16, top: !horizontal && spec.unit ? 40 : 24, bottom: 36, containLabel: true },
      xAxis: pie ? undefined : (horizontal ? value : category),
      yAxis: pie ? undefined : (horizontal ? Object.assign({}, category, { inverse: true }) : value),
      series: series
    };
  }
  function render(el) {
    if (!window.echarts) { return; }
    var spec = JSON.parse(el.getAttribute("data-chart"));
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(spec));
    chart.on("click", function (params) {
      if (params.data && params.data.url) { window.location.href = params.data.url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    el.setAttribute("data-rendered", "1");
  }
  function toggles() {
    document.querySelectorAll(".chart-box .chart-toggle").forEach(function (button) {
      button.addEventListener("click", function () {
        var box = button.closest(".chart-box");
        box.classList.toggle("show-table");
        button.setAttribute("aria-pressed", box.classList.contains("show-table") ? "true" : "false");
      });
    });
  }
  function start() {
    document.querySelectorAll("div.echart[data-chart]").forEach(render);
    toggles();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
