/* Drag and drop for the schedule editor: dropping a slot on a cell fills the slot's own move
   form (room and start) and submits it with fetch; the page works without this file. */
(function () {
  "use strict";

  function moveForm(slot) {
    return slot.querySelector("form.talk-move-form");
  }

  function submitMove(form) {
    var body = new FormData(form);
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || response.statusText);
        }
        return data;
      });
    });
  }

  function init() {
    var dragged = null;
    document.querySelectorAll(".talk-slot[draggable]").forEach(function (slot) {
      slot.addEventListener("dragstart", function (event) {
        dragged = slot;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", slot.dataset.slot);
      });
      slot.addEventListener("dragend", function () {
        dragged = null;
      });
    });
    document.querySelectorAll(".talk-drop").forEach(function (cell) {
      cell.addEventListener("dragover", function (event) {
        if (dragged) {
          event.preventDefault();
          cell.classList.add("table-active");
        }
      });
      cell.addEventListener("dragleave", function () {
        cell.classList.remove("table-active");
      });
      cell.addEventListener("drop", function (event) {
        event.preventDefault();
        cell.classList.remove("table-active");
        if (!dragged) {
          return;
        }
        var form = moveForm(dragged);
        form.elements.room.value = cell.dataset.room;
        form.elements.start.value = cell.dataset.start;
        submitMove(form)
          .then(function () {
            window.location.reload();
          })
          .catch(function () {
            form.submit();
          });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
