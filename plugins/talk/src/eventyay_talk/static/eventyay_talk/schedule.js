// Progressive enhancement of the server-rendered schedule: the time zone picker applies itself
// without the "Apply" button, and on a day of the event a line marks the current time in the
// grid (kept up to date each minute) and the page scrolls to it once.
document.documentElement.classList.add("talk-js");
document.querySelectorAll("[data-talk-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});

(function () {
  var scrolled = false;
  function mark() {
    var now = Date.now();
    document.querySelectorAll(".talk-grid[data-start]").forEach(function (grid) {
      var start = Date.parse(grid.dataset.start);
      var end = Date.parse(grid.dataset.end);
      var marker = grid.querySelector(".talk-now");
      if (now < start || now >= end) {
        if (marker) { marker.remove(); }
        return;
      }
      if (!marker) {
        marker = document.createElement("div");
        marker.className = "talk-now";
        marker.setAttribute("aria-hidden", "true");
        grid.appendChild(marker);
      }
      var step = Number(grid.dataset.step) * 60000;
      var rows = (now - start) / step;
      var row = Math.floor(rows);
      var height = parseFloat(getComputedStyle(grid).getPropertyValue("--talk-row")) *
        parseFloat(getComputedStyle(document.documentElement).fontSize);
      marker.style.gridRow = String(row + 2);
      marker.style.top = ((rows - row) * height) + "px";
      if (!scrolled && !location.hash) {
        scrolled = true;
        marker.scrollIntoView({ block: "center" });
      }
    });
  }
  mark();
  setInterval(mark, 60000);
})();
