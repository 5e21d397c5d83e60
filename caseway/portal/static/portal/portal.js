// Caseway Support portal: small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Copy a private link to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () {
      var original = button.textContent;
      button.textContent = button.getAttribute("data-copied-text") || original;
      setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });

  // Disable the submit button of a plain form once it is sent. A second click would be a
  // harmless replay, but the visitor should see that something is happening.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-disable-on-submit")) return;
    var button = form.querySelector("button[type='submit']");
    if (button) {
      setTimeout(function () { button.disabled = true; button.classList.add("is-busy"); }, 0);
    }
  });

  // After a reply lands through htmx, bring the newest message into view.
  document.addEventListener("htmx:afterSwap", function (event) {
    var latest = document.getElementById("latest");
    if (latest && event.detail.target && event.detail.target.id === "case-panel") {
      latest.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });
})();
