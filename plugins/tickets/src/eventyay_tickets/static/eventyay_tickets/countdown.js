// Counts down the cart reservation shown by the server; without JavaScript the server-rendered
// time left stays visible. Parts of the shop swapped in by HTMX get their countdown started too,
// and when the reservation runs out the availability badges are refreshed.
(function () {
  "use strict";
  function start(element) {
    if (element.getAttribute("data-countdown-started")) {
      return;
    }
    element.setAttribute("data-countdown-started", "1");
    var left = parseInt(element.getAttribute("data-countdown-seconds"), 10);
    var value = element.querySelector(".tickets-countdown-value");
    if (isNaN(left) || !value) {
      return;
    }
    var deadline = Date.now() + left * 1000;
    function render() {
      if (!document.body.contains(element)) {
        return; // swapped out by a newer version of the cart
      }
      var seconds = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (seconds === 0) {
        element.textContent = element.getAttribute("data-expired-text");
        var refresh = document.getElementById("tickets-availability-refresh");
        if (refresh && window.htmx) {
          window.htmx.trigger(refresh, "tickets-refresh");
        }
        return;
      }
      var minutes = Math.floor(seconds / 60);
      var rest = seconds % 60;
      value.textContent = minutes + ":" + (rest < 10 ? "0" : "") + rest;
      window.setTimeout(render, 1000);
    }
    render();
  }
  function startWithin(root) {
    if (root.matches && root.matches("[data-countdown-seconds]")) {
      start(root);
    }
    if (root.querySelectorAll) {
      root.querySelectorAll("[data-countdown-seconds]").forEach(start);
    }
  }
  startWithin(document);
  document.addEventListener("htmx:load", function (event) {
    startWithin(event.target);
  });
})();
