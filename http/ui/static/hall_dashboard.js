// dost supervisor dashboard: draws the charts of a centre's queue KPIs
// with uPlot (vendored) from the KPI API the page names in data-kpis, and,
// while the range includes today, refreshes the hall now and the charts
// every 30 seconds. The page's tables carry every number without script.
(function () {
  "use strict";
  var box = document.getElementById("dashboard-charts");
  if (!box || typeof uPlot === "undefined") {
    return;
  }
  var label = function (name) { return box.getAttribute("data-label-" + name) || name; };
  var status = document.getElementById("dashboard-live-status");
  var charts = [];
  var colours = ["#00548f", "#0a6b3d", "#a4161a", "#5a2d82"];

  // x returns a period's start as seconds at UTC midnight, so that the
  // axis, drawn in UTC, shows the centre's day.
  function x(p) {
    var d = p.start.split("-");
    return Date.UTC(+d[0], +d[1] - 1, +d[2]) / 1000;
  }
  function minutes(s) { return s == null ? null : Math.round(s / 6) / 10; }
  function pct(s) { return s == null ? null : Math.round(s * 1000) / 10; }

  function legend(fig, names) {
    var old = fig.querySelector(".dash-legend");
    if (old) {
      old.remove();
    }
    var ul = document.createElement("ul");
    ul.className = "dash-legend";
    names.forEach(function (n, i) {
      var li = document.createElement("li");
      var sw = document.createElement("span");
      sw.className = "dash-swatch dash-swatch-" + i;
      sw.setAttribute("aria-hidden", "true");
      li.append(sw, document.createTextNode(n));
      ul.append(li);
    });
    fig.append(ul);
  }

  function draw(id, names, data, opts) {
    var el = document.getElementById(id);
    var width = Math.max(el.parentNode.clientWidth - 8, 280);
    var series = [{}];
    names.forEach(function (n, i) {
      var s = { label: n, stroke: colours[i], width: 2, points: { show: true, size: 6 }, spanGaps: false };
      if (opts.bars && i === 0) {
        s.fill = colours[0] + "33";
        s.paths = uPlot.paths.bars({ size: [0.6, 48] });
        s.points = { show: false };
      }
      if (opts.dash && i === names.length - 1) {
        s.dash = [6, 4];
        s.points = { show: false };
      }
      series.push(s);
    });
    var o = {
      width: width,
      height: 240,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true }, y: opts.y || { auto: true } },
      axes: [{ stroke: "#141414" }, { stroke: "#141414", label: opts.unit, size: 56 }],
      series: series
    };
    el.replaceChildren();
    charts.push(new uPlot(o, data, el));
    legend(el.parentNode, names);
  }

  function render(k) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    var xs = k.periods.map(x);
    var col = function (f) { return k.periods.map(f); };
    draw("chart-tickets", [label("issued"), label("served"), label("no-shows")],
      [xs, col(function (p) { return p.issued; }), col(function (p) { return p.served; }), col(function (p) { return p.no_shows; })],
      { bars: true, unit: "" });
    draw("chart-waits", [label("wait-avg"), label("wait-p90"), label("target")],
      [xs, col(function (p) { return minutes(p.wait_avg_seconds); }), col(function (p) { return minutes(p.wait_p90_seconds); }),
        col(function () { return k.service_level_minutes; })],
      { dash: true, unit: label("minutes") });
    draw("chart-shares", [label("service-level"), label("quote-accuracy")],
      [xs, col(function (p) { return pct(p.service_level); }), col(function (p) { return pct(p.quote_accuracy); })],
      { unit: "%", y: { range: [0, 100] } });
  }

  function setText(id, v) {
    var el = document.getElementById(id);
    if (el) {
      el.textContent = String(v);
    }
  }

  function live(l) {
    if (!l) {
      return;
    }
    setText("live-waiting", l.waiting);
    var s = l.longest_wait_seconds;
    setText("live-longest", Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"));
    setText("live-called", l.called);
    setText("live-serving", l.serving);
    setText("live-counters", l.open_counters);
  }

  var last = null;
  function load() {
    return fetch(box.getAttribute("data-kpis"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("status " + r.status);
        }
        return r.json();
      })
      .then(function (k) {
        last = k;
        render(k);
        live(k.live);
        if (status && k.live) {
          status.textContent = label("live");
        }
        box.setAttribute("data-ready", "true");
        return k;
      })
      .catch(function () {
        if (status) {
          status.textContent = label("offline");
        }
      });
  }

  load().then(function (k) {
    if (k && k.live) {
      window.setInterval(load, 30000);
    }
  });
  var resize = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resize);
    resize = window.setTimeout(function () {
      if (last) {
        render(last);
      }
    }, 200);
  });
})();
