/* Caseway agent workspace: small progressive enhancements. Everything works without them. */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  var auditOpen = false;
  var remembered = {};  // details[data-remember] the agent opened, kept across swaps

  // Whole table rows open their case; modified clicks and links keep their usual behaviour.
  document.addEventListener("click", function (event) {
    var row = event.target.closest("tr[data-href]");
    if (!row || event.target.closest("a, button, input, select, label")) return;
    if (event.metaKey || event.ctrlKey || event.button === 1) {
      window.open(row.dataset.href, "_blank");
    } else {
      window.location.href = row.dataset.href;
    }
  });

  // Composer tabs: reply or internal note.
  document.addEventListener("click", function (event) {
    var tab = event.target.closest(".composer-tab");
    if (!tab) return;
    var composer = tab.closest(".composer");
    composer.dataset.mode = tab.dataset.mode;
    composer.querySelectorAll(".composer-tab").forEach(function (other) {
      other.setAttribute("aria-selected", other === tab ? "true" : "false");
    });
    var textarea = composer.querySelector(".pane-" + tab.dataset.mode + " textarea");
    if (textarea) textarea.focus();
  });

  // Ctrl/Cmd + Enter sends the form the textarea belongs to.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var textarea = event.target.closest(".composer textarea");
    if (textarea && textarea.form) {
      event.preventDefault();
      textarea.form.requestSubmit();
    }
  });

  // Show the chosen file names next to the paperclip.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches(".attach-button input[type=file]")) return;
    var label = input.parentElement.querySelector(".attach-label");
    var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
    label.textContent = names.length ? names.join(", ") : label.dataset.empty;
    input.parentElement.classList.toggle("has-files", names.length > 0);
  });

  // Remember whether the audit trail is open across out-of-band swaps.
  document.addEventListener("toggle", function (event) {
    if (event.target.id === "case-audit") auditOpen = event.target.open;
    var key = event.target.dataset && event.target.dataset.remember;
    if (key) remembered[key] = event.target.open;
  }, true);

  // The presence menu closes on a click elsewhere or Escape.
  function closePresence(except) {
    document.querySelectorAll("details.presence[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    closePresence(event.target.closest("details.presence"));
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePresence(null);
  });

  function dismiss(toast) {
    toast.classList.add("is-leaving");
    window.setTimeout(function () { toast.remove(); }, 200);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) dismiss(button.closest(".toast"));
  });

  function enhance(element) {
    var scope = element.querySelectorAll ? element : document;
    var toasts = [];
    if (scope.matches && scope.matches(".toast-success, .toast-info")) toasts.push(scope);
    scope.querySelectorAll(".toast-success, .toast-info").forEach(function (t) { toasts.push(t); });
    toasts.forEach(function (toast) {
      window.setTimeout(function () { dismiss(toast); }, 4000);
    });
    // A new case for the agent stays longer: they may be looking elsewhere.
    var offers = scope.matches && scope.matches(".toast-offer") ? [scope] : [];
    scope.querySelectorAll(".toast-offer").forEach(function (t) { offers.push(t); });
    offers.forEach(function (toast) {
      window.setTimeout(function () { if (toast.isConnected) dismiss(toast); }, 15000);
    });
    // A phone call the agent took pops its case open, unless they are writing something.
    var calls = scope.matches && scope.matches(".toast-call") ? [scope] : [];
    scope.querySelectorAll(".toast-call").forEach(function (t) { calls.push(t); });
    calls.forEach(function (toast) {
      var target = toast.dataset.open;
      var writing = Array.prototype.some.call(
        document.querySelectorAll(".composer textarea"), function (t) { return t.value.trim(); });
      if (target && window.location.pathname !== target && !writing) {
        window.location.assign(target);
      }
    });
    var kept = scope.matches && scope.matches("details[data-remember]") ? [scope] : [];
    scope.querySelectorAll("details[data-remember]").forEach(function (d) { kept.push(d); });
    kept.forEach(function (details) {
      if (remembered[details.dataset.remember]) details.open = true;
    });
    var audit = element.id === "case-audit" ? element : scope.querySelector("#case-audit");
    if (audit && auditOpen) audit.open = true;
  }

  // Live updates: the agent websocket (/ws/agent/, workspace/live.py) sends cues naming ids
  // only, and the page asks the usual partials: the poll (numbers, presence, toasts, My cases),
  // the load meter, the case list of this page (same filters and page) and, when the cue is
  // about the open case, its timeline, SLA and properties (never the composer). The chat
  // console's own socket carries the same cues (console.js re-dispatches them as cw:socket).
  // While no socket is up the poll runs every 5 s; the socket reconnects with backoff.
  function live() {
    var poll = document.getElementById("poll");
    if (!poll || !poll.dataset.ws || !window.htmx) return;
    var timers = {};
    function soon(key, fn) {  // several cues of one change: one request each
      if (timers[key]) return;
      timers[key] = window.setTimeout(function () { timers[key] = null; fn(); }, 150);
    }
    function changed() { soon("poll", function () { window.htmx.trigger(poll, "cw:changed"); }); }
    function refreshList() {
      if (!document.getElementById("case-list")) return;
      soon("list", function () {
        window.htmx.ajax("GET", window.location.pathname + window.location.search,
          {target: "#case-list", swap: "outerHTML"});
      });
    }
    function refreshCase(caseId) {
      var timeline = document.getElementById("case-timeline");
      if (!timeline || (caseId && String(caseId) !== timeline.dataset.case)) return;
      soon("case", function () {
        window.htmx.ajax("GET", timeline.dataset.live, {target: "#case-timeline", swap: "none"});
      });
    }
    function cue(m) {
      if (m.type !== "workspace") return;
      if (m.cue === "ready") {
        window.cwLive = true;
        changed(); refreshList(); refreshCase(null);  // catch up since the page was rendered
      } else if (m.cue === "load") {
        window.htmx.trigger(document.body, "cw:load");
      } else if (m.case) {
        changed(); refreshList(); refreshCase(m.case);
      } else if (m.cases) {  // several cues folded into one frame
        changed(); refreshList(); m.cases.forEach(refreshCase);
      } else {
        changed();
      }
    }
    document.addEventListener("cw:socket", function (event) { cue(event.detail); });
    document.addEventListener("cw:socket-closed", function () { window.cwLive = false; });
    if (document.getElementById("chat-console") || !window.WebSocket) return;
    var delay = 1000, socket = null, leaving = false;
    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + window.location.host + poll.dataset.ws);
      socket.onmessage = function (event) {
        delay = 1000;
        try { cue(JSON.parse(event.data)); } catch (e) { /* not for us */ }
      };
      socket.onclose = function () {
        window.cwLive = false;  // the 5 s poll takes over until the next "ready"
        if (leaving) return;
        window.setTimeout(connect, delay + Math.random() * 500);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
    window.addEventListener("pagehide", function () { leaving = true; if (socket) socket.close(); });
  }

  // A live refresh leaves alone a panel the agent is typing in (the time log, a select).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target, active = document.activeElement;
    if (target && active && active !== document.body && target.contains(active) &&
        active.matches("input, textarea, select")) {
      event.detail.shouldSwap = false;
    }
  });

  // Polling: the load meter follows each answer of the poll.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!window.cwLive && event.target.id === "poll" && window.htmx) {
      window.htmx.trigger(document.body, "cw:load");
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document.body);
    live();
    if (window.htmx) window.htmx.onLoad(function (element) {
      if (element !== document.body) enhance(element);
    });
  });
})();
