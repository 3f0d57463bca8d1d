/* The exhibition and poster hall of the attendee page, on the socket of video.js. */
(function () {
  "use strict";
  var video = window.eventyayVideo;
  var area = document.getElementById("video-exhibition-area");
  if (!video || !area) return;
  var $ = function (id) { return document.getElementById(id); };
  var booths = $("video-exhibition").dataset, hall = $("video-posters").dataset;
  var staffed = {}, category = "";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "class") node.className = attrs[key]; else node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(template, value) { return template.replace("%s", value); }
  function showArea() { area.hidden = $("video-exhibition").hidden && $("video-posters").hidden; }

  // --- exhibitors and contact requests ---------------------------------------------------------

  function myStatus(request) {
    var box = $("video-exhibitor-status-" + request.exhibitor);
    if (!box) return;
    box.replaceChildren();
    if (request.state === "open") box.textContent = booths.sent;
    else if (request.state === "declined") box.textContent = booths.declined;
    else {
      box.appendChild(el("span", {}, fmt(booths.accepted, request.answered_by || "") + " "));
      if (request.call_url) box.appendChild(el("a", { href: request.call_url, target: "_blank", rel: "noopener" }, booths.joinCall));
    }
  }

  function requestNode(request) {
    var item = el("li", { id: "video-contact-request-" + request.id, class: "list-group-item" });
    item.appendChild(el("strong", {}, request.user.name));
    if (request.message) item.appendChild(el("span", { class: "d-block" }, request.message));
    if (request.state === "open") {
      [["accept", "exhibition.contact_accept", "btn-success"], ["decline", "exhibition.contact_decline", "btn-outline-secondary"]].forEach(function (b) {
        var button = el("button", { type: "button", class: "btn btn-sm me-1 mt-1 " + b[2] }, booths[b[0]]);
        button.addEventListener("click", function () {
          video.request(b[1], { request: request.id }).then(function (r) { onRequest(r.request); })
            .catch(function (e) { item.appendChild(el("span", { class: "text-danger small d-block", role: "alert" }, video.errorText(e.code))); });
        });
        item.appendChild(button);
      });
    } else {
      item.appendChild(el("span", { class: "badge text-bg-light ms-2" }, booths["state" + request.state.charAt(0).toUpperCase() + request.state.slice(1)]));
    }
    return item;
  }

  function onRequest(request) {
    if (staffed[request.exhibitor]) {
      var existing = $("video-contact-request-" + request.id), node = requestNode(request), list = $("video-contact-requests");
      if (existing) existing.replaceWith(node); else list.insertBefore(node, list.firstChild);
      $("video-contact-requests-box").hidden = false;
    } else {
      myStatus(request);
    }
  }

  function loadExhibition() {
    video.request("exhibition.list").then(function (result) {
      var list = $("video-exhibitor-list");
      list.replaceChildren();
      $("video-contact-requests").replaceChildren();
      staffed = {};
      result.exhibitors.forEach(function (exhibitor) {
        var item = el("li", { class: "list-group-item", id: "video-exhibitor-" + exhibitor.id });
        if (exhibitor.logo) item.appendChild(el("img", { src: exhibitor.logo, alt: "", class: "me-2 video-exhibitor-logo", height: "32" }));
        item.appendChild(el("strong", {}, exhibitor.name));
        if (exhibitor.short_text) item.appendChild(el("span", { class: "d-block small" }, exhibitor.short_text));
        item.appendChild(el("span", { class: "d-block small text-body-secondary", id: "video-exhibitor-status-" + exhibitor.id, role: "status" }));
        if (exhibitor.staff) {
          staffed[exhibitor.id] = true;
          video.request("exhibition.get", { exhibitor: exhibitor.id }).then(function (r) { r.requests.slice().reverse().forEach(onRequest); });
        } else {
          var ask = el("button", { type: "button", class: "btn btn-sm btn-outline-primary mt-1" }, booths.contact);
          ask.addEventListener("click", function () {
            video.request("exhibition.contact", { exhibitor: exhibitor.id }).then(function (r) { myStatus(r.request); })
              .catch(function (e) { $("video-exhibitor-status-" + exhibitor.id).textContent = video.errorText(e.code); });
          });
          item.appendChild(ask);
          video.request("exhibition.get", { exhibitor: exhibitor.id }).then(function (r) { if (r.requests.length) myStatus(r.requests[0]); });
        }
        list.appendChild(item);
      });
      $("video-exhibition").hidden = !result.exhibitors.length;
      showArea();
    }).catch(retryLater("exhibition", loadExhibition));
  }

  // A lost connection loads everything again once the socket is back ("authenticated"); any
  // other failure (the server busy or failing for a moment) is tried again a little later.
  var retries = {};
  function retryLater(key, load) {
    return function (error) {
      if (error && error.code === "connection.lost") return;
      var attempt = retries[key] = (retries[key] || 0) + 1;
      if (attempt <= 5) setTimeout(load, 1000 * attempt);
    };
  }

  // --- posters -----------------------------------------------------------------------------------

  function posterNode(poster) {
    var item = el("li", { class: "list-group-item", id: "video-poster-" + poster.id });
    item.appendChild(el("strong", {}, poster.title));
    item.appendChild(el("span", { class: "d-block small" }, poster.authors.join(", ") + (poster.category ? " · " + poster.category : "")));
    var vote = el("button", { type: "button", class: "btn btn-sm btn-outline-primary me-1 video-poster-vote", "aria-pressed": poster.voted ? "true" : "false", "aria-label": hall.vote }, "▲ " + poster.votes);
    vote.addEventListener("click", function () {
      var voting = vote.getAttribute("aria-pressed") !== "true";
      video.request("poster.vote", { poster: poster.id, vote: voting }).then(function (r) {
        vote.setAttribute("aria-pressed", r.voted ? "true" : "false");
        vote.textContent = "▲ " + r.votes;
      });
    });
    item.appendChild(vote);
    var details = el("button", { type: "button", class: "btn btn-sm btn-link" }, hall.details);
    var more = el("div", { class: "small", hidden: "" });
    details.addEventListener("click", function () {
      video.request("poster.get", { poster: poster.id }).then(function (r) {
        more.replaceChildren(el("p", {}, r.poster.abstract));
        if (r.poster.talk) more.appendChild(el("p", {}, fmt(hall.talk, r.poster.talk.title)));
        if (r.poster.pdf_url) more.appendChild(el("a", { href: r.poster.pdf_url, target: "_blank", rel: "noopener" }, hall.pdf));
        more.hidden = false;
      });
    });
    item.appendChild(details);
    item.appendChild(more);
    return item;
  }

  function loadPosters() {
    video.request("poster.list", category ? { category: category } : {}).then(function (result) {
      var select = $("video-poster-category");
      while (select.options.length > 1) select.remove(1);
      result.categories.forEach(function (name) {
        var option = el("option", { value: name }, name);
        if (name === category) option.selected = true;
        select.appendChild(option);
      });
      $("video-poster-list").replaceChildren.apply($("video-poster-list"), result.posters.map(posterNode));
      $("video-posters").hidden = !result.posters.length && !category;
      showArea();
    }).catch(retryLater("posters", loadPosters));
  }

  $("video-poster-category").addEventListener("change", function (event) { category = event.target.value; loadPosters(); });

  video.on("authenticated", function () { retries = {}; loadExhibition(); loadPosters(); });
  video.on("exhibition.contact_request", onRequest);
  video.on("poster.updated", function (update) {
    var vote = document.querySelector("#video-poster-" + update.id + " .video-poster-vote");
    if (vote) vote.textContent = "▲ " + update.votes;
  });
})();
