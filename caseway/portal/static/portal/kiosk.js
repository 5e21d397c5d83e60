// Caseway Support kiosk: clear the screen and forget the visitor after a while without a
// touch, and keep visitors on the kiosk. Without JavaScript every page still works, and the
// server-side session expires by itself.
(function () {
  "use strict";

  var body = document.body;
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "90", 10);
  var warnSeconds = Math.min(15, Math.max(1, Math.floor(idleSeconds / 2)));
  var overlay = document.getElementById("kiosk-idle");
  var count = document.getElementById("kiosk-idle-count");
  var resetForm = document.getElementById("kiosk-reset");
  var lastTouch = Date.now();
  var resetting = false;
  // The start screen with nothing of anyone on it has nothing to clear until it is touched.
  var clean = body.hasAttribute("data-clean");

  // Clear everything on this side first (what is typed, what is shown, anything stored),
  // then tell the server to delete the session; it answers with the start screen.
  function clearAndReset() {
    if (resetting) return;
    resetting = true;
    Array.prototype.forEach.call(document.forms, function (form) { form.reset(); });
    try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (e) { /* private mode */ }
    var main = document.getElementById("kiosk-main");
    if (main) main.innerHTML = "";
    if (overlay) overlay.hidden = true;
    resetForm.submit();
  }

  function touched() {
    clean = false;
    lastTouch = Date.now();
    if (overlay && !overlay.hidden) overlay.hidden = true;
  }

  ["pointerdown", "keydown", "input", "touchstart", "wheel", "scroll"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true, capture: true });
  });

  setInterval(function () {
    if (clean) return;
    var left = idleSeconds - (Date.now() - lastTouch) / 1000;
    if (left <= 0) {
      clearAndReset();
    } else if (left <= warnSeconds) {
      if (overlay.hidden) overlay.hidden = false;
      count.textContent = String(Math.ceil(left));
    }
  }, 250);

  var stay = document.getElementById("kiosk-stay");
  if (stay) stay.addEventListener("click", touched);

  // "Start over" and "Finish" clear the page too before the server forgets the visitor.
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-kiosk-reset")) {
      event.preventDefault();
      clearAndReset();
    }
  });

  // Links inside articles would lead off the kiosk (to the web, or the full portal): show
  // them as text instead.
  Array.prototype.forEach.call(document.querySelectorAll(".k-article-body a"), function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); });
    link.removeAttribute("href");
  });

  // A page shown again from the back-forward cache must not show the previous visitor's
  // answers: load it afresh.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();
