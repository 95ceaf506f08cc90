/* rempart host page: each <figure data-graph> is drawn with uPlot when it scrolls into view,
   from /api/series (same origin). Dragging across a graph zooms every graph of the page to
   that range (the server picks a finer step); "reset zoom" goes back to the page's range.
   The range a graph shows is on the figure as data-from / data-to (epoch seconds).
   Text from nodes (titles, labels) is only ever set as textContent (uPlot does the same). */
(function () {
  "use strict";
  var root = document.getElementById("graphs");
  if (!root || typeof uPlot === "undefined") { return; }
  var host = root.dataset.host;
  var lang = root.dataset.lang || "en";
  var home = { from: Number(root.dataset.from), to: Number(root.dataset.to) };
  var current = home;
  var reset = document.querySelector("[data-testid=reset-zoom]");
  var figures = Array.prototype.slice.call(root.querySelectorAll("figure[data-graph]"));
  var started = new Set();
  var plots = new Map();
  var MIN_SPAN = 600;
  var HEIGHT = 220;
  var COLORS = ["#22577a", "#c0392b", "#2d7d46", "#b7791f", "#6b2c91", "#1f8a8a",
                "#8a5a1f", "#5b6470", "#d35400", "#2c3e50", "#7d3c98", "#117a65"];
  var SI = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "—"; }
    var a = Math.abs(v);
    for (var i = 0; i < SI.length; i++) {
      if (a >= SI[i][0]) { return Number((v / SI[i][0]).toPrecision(3)).toLocaleString(lang) + " " + SI[i][1]; }
    }
    return Number(v.toPrecision(3)).toLocaleString(lang);
  }

  function signed(values, sign) {
    return values.map(function (v) { return v === null ? null : sign * v; });
  }

  function build(doc, width) {
    var negatives = new Set(doc.fields.map(function (f) { return f.negative; }).filter(Boolean));
    var data = [doc.t];
    var series = [{}];
    var bands = [];
    var value = function (u, v) { return fmt(v); };
    doc.fields.forEach(function (f, i) {
      var sign = negatives.has(f.name) ? -1 : 1;
      var color = COLORS[i % COLORS.length];
      data.push(signed(doc.avg[f.name] || [], sign));
      series.push({ label: f.label, stroke: color, width: 1.5, value: value,
                    fill: /^AREA/.test(f.draw) ? color + "40" : undefined });
      var low = doc.low[f.name], high = doc.high[f.name];
      if (low && high && low.length) {
        var hi = data.length;
        data.push(signed(high, sign));
        series.push({ label: f.label + " " + root.dataset.max, stroke: color + "80", width: 0.5, value: value });
        var lo = data.length;
        data.push(signed(low, sign));
        series.push({ label: f.label + " " + root.dataset.min, stroke: color + "80", width: 0.5, value: value });
        bands.push({ series: sign > 0 ? [hi, lo] : [lo, hi], fill: color + "26" });
      }
    });
    var from = current.from, to = current.to;
    var opts = {
      width: width, height: HEIGHT, series: series, bands: bands,
      scales: { x: { time: true, range: function () { return [from, to]; } } },
      axes: [{}, { size: 64, label: doc.vlabel || "", values: function (u, vals) { return vals.map(fmt); } }],
      cursor: { drag: { x: true, y: false, setScale: false } },
      hooks: { setSelect: [selected] }
    };
    return { opts: opts, data: data };
  }

  function selected(u) {
    if (u.select.width < 4) { return; }
    var a = u.posToVal(u.select.left, "x");
    var b = u.posToVal(u.select.left + u.select.width, "x");
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    zoom(a, b);
  }

  function mark(fig, range) {
    fig.dataset.from = String(range.from);
    fig.dataset.to = String(range.to);
  }

  function load(fig) {
    var wanted = current;
    var status = fig.querySelector(".status");
    var query = new URLSearchParams({ host: host, graph: fig.dataset.graph,
                                      from: String(wanted.from), to: String(wanted.to) });
    fig.dataset.state = "loading";
    fetch("/api/series?" + query.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("HTTP " + answer.status); }
        return answer.json();
      })
      .then(function (doc) {
        if (wanted !== current) { return; }  // the range changed: a newer load is on its way
        draw(fig, doc);
        status.textContent = "";
        fig.classList.remove("failed");
        fig.dataset.step = String(doc.step);
        mark(fig, wanted);
        fig.dataset.state = "drawn";
      })
      .catch(function () {
        if (wanted !== current) { return; }
        fig.classList.add("failed");
        status.textContent = root.dataset.failed;
        fig.dataset.state = "failed";
      });
  }

  function draw(fig, doc) {
    var place = fig.querySelector(".plot");
    var old = plots.get(fig);
    if (old) { old.destroy(); }
    var built = build(doc, place.clientWidth || 500);
    plots.set(fig, new uPlot(built.opts, built.data, place));
  }

  function setRange(range) {
    current = range;
    reset.hidden = range === home;
    figures.forEach(function (fig) {
      if (started.has(fig)) { load(fig); } else { mark(fig, range); }
    });
  }

  function zoom(a, b) {
    var from = Math.floor(a), to = Math.ceil(b);
    if (to - from < MIN_SPAN) {
      from = Math.floor((from + to - MIN_SPAN) / 2);
      to = from + MIN_SPAN;
    }
    setRange({ from: from, to: to });
  }

  reset.addEventListener("click", function () { setRange(home); });

  var seen = function (entries, observer) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) { return; }
      observer.unobserve(entry.target);
      started.add(entry.target);
      load(entry.target);
    });
  };
  if ("IntersectionObserver" in window) {
    var observer = new IntersectionObserver(seen, { rootMargin: "300px 0px" });
    figures.forEach(function (fig) { observer.observe(fig); });
  } else {
    figures.forEach(function (fig) { started.add(fig); load(fig); });
  }

  var pending = 0;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (plot, fig) {
        plot.setSize({ width: fig.querySelector(".plot").clientWidth || 500, height: HEIGHT });
      });
    }, 150);
  });
}());
