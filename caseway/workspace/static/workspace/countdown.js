/* Caseway workspace: keep SLA countdowns ticking. The server renders each countdown's text and
   state; this only moves them on, with the words in #countdown-strings. A countdown is
   <span class="countdown" data-due="ISO" data-warn="ISO" data-state="...">: wall-clock time
   to its due time. States only get worse here (in_progress, nearing, breached); a reload or
   an htmx swap brings the server's view back. */
(function () {
  "use strict";

  var ORDER = { in_progress: 0, nearing: 1, breached: 2 };
  var words = null;

  function fill(template, values) {
    return template.replace(/%\((\w+)\)(0?\d*)([ds])/g, function (_, name, pad, kind) {
      var value = String(values[name]);
      var width = parseInt(pad, 10) || 0;
      while (kind === "d" && value.length < width) value = "0" + value;
      return value;
    });
  }

  function span(seconds) {
    var total = Math.floor(Math.abs(seconds));
    if (total >= 48 * 3600) {
      return fill(words.days, { d: Math.floor(total / 86400), h: Math.floor((total % 86400) / 3600) });
    }
    if (total >= 3600) {
      return fill(words.hours, { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60) });
    }
    if (total >= 600) return fill(words.minutes, { m: Math.floor(total / 60) });
    if (total >= 60) return fill(words.minutes_seconds, { m: Math.floor(total / 60), s: total % 60 });
    return fill(words.seconds, { s: total });
  }

  function update(element, now) {
    var due = Date.parse(element.dataset.due);
    if (isNaN(due)) return;
    var warn = element.dataset.warn ? Date.parse(element.dataset.warn) : NaN;
    var left = (due - now) / 1000;
    var state = left <= 0 ? "breached" : now >= warn ? "nearing" : "in_progress";
    var shown = element.dataset.state;
    if ((ORDER[shown] || 0) > ORDER[state]) state = shown;
    var text;
    if (left > 0) {
      text = state === "breached" ? words.breached : fill(words.left, { time: span(left) });
    } else {
      text = fill(words.overdue, { time: span(left) });
    }
    if (state !== shown) {
      element.classList.remove("sla-" + shown);
      element.classList.add("sla-" + state);
      element.dataset.state = state;
      var use = element.querySelector("use");
      if (use && state === "breached") use.setAttribute("href", "#i-alert");
    }
    var label = element.querySelector(".countdown-text");
    if (label && label.textContent !== text) label.textContent = text;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (element) {
      update(element, now);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("countdown-strings");
    if (!source) return;
    words = JSON.parse(source.textContent);
    tick();
    window.setInterval(tick, 1000);
    document.body.addEventListener("htmx:afterSettle", tick);
  });
})();
