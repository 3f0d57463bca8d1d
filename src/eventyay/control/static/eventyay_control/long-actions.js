// Long actions (exports, event clone, bulk vouchers): once such a form is submitted, its
// button is disabled and says that the work is under way, so a second click cannot start the
// work twice. Without JavaScript the server's progress page (which refreshes itself) is the
// fallback; progress itself is polled by the job page.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-long-action")) {
      return;
    }
    if (form.dataset.submitted === "true") {
      event.preventDefault();
      return;
    }
    form.dataset.submitted = "true";
    form.setAttribute("aria-busy", "true");
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (button) {
      // Disabled after this tick: a disabled button's name/value would not be sent otherwise.
      window.setTimeout(function () {
        button.disabled = true;
        var busy = form.getAttribute("data-long-action");
        if (busy) {
          button.textContent = busy;
        }
      }, 0);
    }
  });
})();
