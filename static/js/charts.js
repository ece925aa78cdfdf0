/* Draws every <canvas data-chart="..."> with Chart.js (served from static/vendor).
 * The numbers are always also in a table next to the chart, for screen readers, print and
 * browsers without JavaScript; the chart is a convenience for the eye. */
(function () {
  "use strict";
  if (!window.Chart) { return; }
  var rtl = document.documentElement.dir === "rtl";
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute("data-chart")); } catch (e) { return; }
    var colours = ["#0b4f6c", "#a66a00", "#3d6b1f", "#6b2f6b", "#33507a", "#9b1c1c"];
    spec.data.datasets.forEach(function (set, i) {
      set.backgroundColor = set.backgroundColor || colours[i % colours.length];
      set.borderColor = set.borderColor || colours[i % colours.length];
    });
    spec.options = spec.options || {};
    spec.options.animation = false;  // old PCs: draw once, do not animate
    spec.options.responsive = true;
    spec.options.maintainAspectRatio = false;
    spec.options.plugins = spec.options.plugins || {};
    spec.options.plugins.legend = spec.options.plugins.legend || { display: spec.data.datasets.length > 1, rtl: rtl };
    if (spec.type !== "radar" && spec.type !== "pie") {
      spec.options.scales = spec.options.scales || {};
      spec.options.scales.x = Object.assign({ reverse: rtl }, spec.options.scales.x || {});
    }
    new window.Chart(canvas, spec);
    canvas.setAttribute("data-drawn", "true");
  });
}());
