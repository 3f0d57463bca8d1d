/* The attendee page of the online event: one websocket, JSON array frames. */
(function () {
  "use strict";
  var app = document.getElementById("video-app");
  if (!app) return;
  var T = JSON.parse(document.getElementById("video-strings").textContent);
  var REACTIONS = ["👍", "❤️", "😂", "🎉", "😮", "👏"];
  var storageKey = "eventyay-video-token:" + app.dataset.wsPath;
  var params = new URLSearchParams(window.location.search);
  if (params.get("token")) {
    sessionStorage.setItem(storageKey, params.get("token"));
    params.delete("token");
    var rest = params.toString();
    history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
  }
  var token = sessionStorage.getItem(storageKey);
  var $ = function (id) { return document.getElementById(id); };
  var status = $("video-status");

  var socket = null, nextId = 1, pending = {}, retry = 0, stopped = false;
  var state = { user: null, rooms: [], room: null, channel: null, lastId: 0, firstId: null, moderator: false };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function fmt(template, value) { return template.replace("%s", value); }
  function setStatus(text) { status.textContent = text; }

  if (!token) {
    // The server-rendered explanation of how to get a personal link stays in view.
    return;
  }
  // With a personal link the explanation gives way to the rooms.
  $("video-access").hidden = true;
  $("video-venue").hidden = false;
  setStatus(T.connecting);

  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }
  function request(action, payload) {
    var id = nextId++;
    return new Promise(function (resolve, reject) {
      pending[id] = { resolve: resolve, reject: reject };
      send([action, id, payload || {}]);
    });
  }
  function errorText(code) { return T.errors[code] || fmt(T.error, code); }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + app.dataset.wsPath);
    socket.onopen = function () { send(["authenticate", { token: token }]); };
    socket.onmessage = function (event) { handle(JSON.parse(event.data)); };
    socket.onclose = function () {
      Object.keys(pending).forEach(function (id) { pending[id].reject({ code: "connection.lost" }); });
      pending = {};
      if (stopped) return;
      setStatus(T.reconnecting);
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * Math.pow(2, retry - 1));
    };
  }

  function handle(frame) {
    var name = frame[0];
    if (name === "success" || name === "error") {
      var waiter = pending[frame[1]];
      if (waiter) {
        delete pending[frame[1]];
        if (name === "success") waiter.resolve(frame[2]); else waiter.reject(frame[2]);
      } else if (name === "error") {
        var code = frame[2].code;
        setStatus(errorText(code));
        if (/^(auth|event)\./.test(code)) { stopped = true; if (code !== "auth.banned") sessionStorage.removeItem(storageKey); }
      }
      return;
    }
    var payload = frame[1];
    (listeners[name] || []).forEach(function (listener) { listener(payload); });
    if (name === "authenticated") onAuthenticated(payload);
    else if (name === "chat.event") onChatEvent(payload);
    else if (name === "room.viewers") onViewers(payload);
    else if (name === "room.stream") onStream(payload);
    else if (name === "poll.updated") onPoll(payload);
    else if (name === "question.updated") onQuestion(payload);
    else if (name === "announcement") onAnnouncement(payload);
    else if (name === "roulette.match") onRouletteMatch(payload);
    else if (name === "roulette.ended") onRouletteEnded(payload);
  }

  function onAuthenticated(data) {
    retry = 0;
    state.user = data.user;
    state.rooms = data.rooms;
    // A closed socket left the roulette on the server: start over after reconnecting.
    roulette.room = null;
    rouletteUi("idle");
    setStatus(fmt(T.connected, data.user.name));
    var list = $("video-rooms");
    list.replaceChildren();
    data.rooms.forEach(function (room) {
      var item = el("li", { class: "list-group-item p-0" });
      var button = el("button", { type: "button", class: "btn btn-link w-100 text-start", "data-room": room.id }, room.name);
      button.addEventListener("click", function () { enterRoom(room.id, true); });
      item.appendChild(button);
      list.appendChild(item);
    });
    if (!data.rooms.length) list.appendChild(el("li", { class: "list-group-item" }, T.no_rooms));
    $("video-announcements").replaceChildren();
    data.announcements.forEach(onAnnouncement);
    var wanted = state.room ? state.room.id : parseInt((window.location.hash.match(/^#room-(\d+)$/) || [])[1], 10);
    var target = data.rooms.filter(function (r) { return r.id === wanted; })[0] || data.rooms[0];
    if (target) enterRoom(target.id, false);
  }

  function enterRoom(roomId, focus) {
    var previous = state.room && state.room.id !== roomId ? state.room.id : null;
    var leaving = previous ? request("room.leave", { room: previous }).catch(function () {}) : Promise.resolve();
    return leaving.then(function () { return request("room.enter", { room: roomId }); }).then(function (result) {
      var room = result.room;
      if (!state.room || state.room.id !== room.id) { state.lastId = 0; state.firstId = null; $("video-chat-log").replaceChildren(); }
      state.room = room;
      state.moderator = room.moderator;
      history.replaceState(null, "", "#room-" + room.id);
      document.querySelectorAll("#video-rooms [data-room]").forEach(function (b) {
        if (parseInt(b.dataset.room, 10) === room.id) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
      });
      renderRoom(room, result.room.viewers);
      if (focus) $("video-room-name").focus();
    }).catch(function (error) { setStatus(errorText(error.code)); });
  }

  // Plays config.url; when it fails, the fallback stream (the server also announces outages
  // with room.stream, found by its health check).
  function playStream(video, config) {
    if (video._hls) { video._hls.destroy(); video._hls = null; }
    var url = config.url, fallback = config.fallback_url;
    function toFallback() { if (fallback && url !== fallback) { url = fallback; start(); } }
    function start() {
      if (window.Hls && window.Hls.isSupported()) {
        var hls = new window.Hls(); video._hls = hls; hls.loadSource(url); hls.attachMedia(video);
        hls.on(window.Hls.Events.ERROR, function (_event, data) { if (data.fatal) { hls.destroy(); toFallback(); } });
      } else {
        video.src = url;
      }
    }
    video.onerror = toFallback;
    start();
  }

  function onStream(payload) {
    if (!state.room || state.room.id !== payload.room) return;
    var video = document.querySelector('#video-room-player video[data-module="' + payload.module + '"]');
    if (video && payload.url) playStream(video, payload);
  }

  function renderRoom(room, viewers) {
    $("video-room").hidden = false;
    $("video-room-name").textContent = room.name;
    $("video-room-description").textContent = room.description;
    onViewers({ room: room.id, count: viewers });
    var schedule = $("video-room-schedule");
    schedule.replaceChildren();
    if (room.schedule) {
      if (room.schedule.current) schedule.appendChild(el("span", {}, fmt(T.now, room.schedule.current.title) + " "));
      if (room.schedule.next) schedule.appendChild(el("span", {}, fmt(T.next, room.schedule.next.title)));
    }
    var player = $("video-room-player"), extras = $("video-room-extras");
    player.replaceChildren(); extras.replaceChildren();
    var kinds = {};
    room.modules.forEach(function (module) {
      kinds[module.type] = module;
      var url = module.config.url;
      if (module.type === "livestream.hls" && url) {
        var video = el("video", { controls: "", class: "w-100 bg-black", "aria-label": T.stream, playsinline: "" });
        video.dataset.module = module.id;
        player.appendChild(video);
        playStream(video, module.config);
      } else if (module.type === "livestream.iframe" && url) {
        player.appendChild(el("iframe", { src: url, title: T.stream, class: "w-100 video-embed", allow: "autoplay; fullscreen; picture-in-picture", allowfullscreen: "" }));
      } else if (module.type === "call.bigbluebutton") {
        var join = el("button", { type: "button", class: "btn btn-outline-primary me-2" }, T.join_call);
        join.addEventListener("click", function () {
          // The server creates the meeting (or finds it running) and signs a link for this user.
          request(module.config.join_action, { room: room.id }).then(function (r) { window.location.assign(r.url); })
            .catch(function (error) { setStatus(errorText(error.code)); });
        });
        extras.appendChild(join);
      } else if (module.type === "call.url" && url) {
        extras.appendChild(el("a", { href: url, target: "_blank", rel: "noopener", class: "btn btn-outline-primary me-2" }, T.join_call));
      } else if (module.type === "page") {
        extras.appendChild(el("div", { class: "video-page" }, module.config.content || ""));
      }
    });
    $("video-chat").hidden = !kinds.chat;
    $("video-polls").hidden = !kinds.polls;
    $("video-questions").hidden = !kinds.questions;
    $("video-poll-form").hidden = !room.moderator;
    if (kinds.chat && room.channel) joinChat(room.channel);
    if (kinds.polls) request("poll.list", { room: room.id }).then(function (r) { $("video-poll-list").replaceChildren(); r.polls.reverse().forEach(onPoll); });
    if (kinds.questions) request("question.list", { room: room.id }).then(function (r) { $("video-question-list").replaceChildren(); r.questions.reverse().forEach(onQuestion); });
    renderRoulette(room, kinds);
  }

  function joinChat(channel) {
    state.channel = channel;
    var catchUp = state.lastId;
    request("chat.join", { channel: channel }).then(function (page) {
      if (!catchUp || !page.messages.length || page.messages[0].id <= catchUp + 1) {
        page.messages.forEach(onChatEvent);
        if (state.firstId === null && page.messages.length) state.firstId = page.messages[0].id;
        $("video-chat-older").hidden = !page.has_more;
      } else {
        fetchAfter(channel, catchUp);
      }
    }).catch(function (error) { $("video-chat-error").textContent = errorText(error.code); });
  }

  function fetchAfter(channel, after) {
    request("chat.fetch", { channel: channel, after: after, count: 100 }).then(function (page) {
      page.messages.forEach(onChatEvent);
      if (page.has_more && page.messages.length) fetchAfter(channel, page.messages[page.messages.length - 1].id);
    });
  }

  $("video-chat-older").addEventListener("click", function () {
    if (!state.channel) return;
    request("chat.fetch", { channel: state.channel, before: state.firstId, count: 50 }).then(function (page) {
      var log = $("video-chat-log");
      page.messages.slice().reverse().forEach(function (message) { log.insertBefore(messageNode(message), log.firstChild); });
      if (page.messages.length) state.firstId = page.messages[0].id;
      $("video-chat-older").hidden = !page.has_more;
    });
  });

  function messageNode(message) {
    var item = el("li", { id: "video-message-" + message.id, class: "mb-1", "data-id": message.id });
    item.appendChild(el("strong", {}, message.sender.name + ": "));
    item.appendChild(el("span", { class: message.deleted ? "fst-italic text-body-secondary" : "" }, message.deleted ? T.deleted : message.text));
    if (message.edited && !message.deleted) item.appendChild(el("small", { class: "ms-1 text-body-secondary" }, T.edited));
    if (!message.deleted) {
      var actions = el("span", { class: "ms-2" });
      REACTIONS.forEach(function (emoji) {
        var count = message.reactions[emoji] || 0;
        if (!count && !state.user) return;
        var button = el("button", { type: "button", class: "btn btn-sm btn-light py-0 px-1", "aria-label": fmt(T.react, emoji) + (count ? " (" + count + ")" : "") }, emoji + (count ? " " + count : ""));
        button.addEventListener("click", function () { request("chat.react", { channel: message.channel, message: message.id, emoji: emoji }).catch(function () {}); });
        actions.appendChild(button);
      });
      if (state.moderator) {
        var del = el("button", { type: "button", class: "btn btn-sm btn-outline-danger py-0 px-1 ms-1" }, T.delete);
        del.addEventListener("click", function () { request("chat.delete", { channel: message.channel, message: message.id }).catch(function () {}); });
        actions.appendChild(del);
      }
      item.appendChild(actions);
    }
    return item;
  }

  function onChatEvent(message) {
    if (message.channel !== state.channel) return;
    var existing = $("video-message-" + message.id), log = $("video-chat-log");
    var node = messageNode(message);
    if (existing) { existing.replaceWith(node); return; }
    if (message.id > state.lastId) {
      var atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
      log.appendChild(node);
      state.lastId = message.id;
      if (atBottom) log.scrollTop = log.scrollHeight;
    } else {
      var after = Array.prototype.find.call(log.children, function (child) { return parseInt(child.dataset.id, 10) > message.id; });
      log.insertBefore(node, after || null);
    }
    if (state.firstId === null || message.id < state.firstId) state.firstId = message.id;
  }

  $("video-chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("video-chat-input"), error = $("video-chat-error");
    error.textContent = "";
    if (!input.value.trim()) return;
    request("chat.send", { channel: state.channel, content: input.value }).then(function () { input.value = ""; })
      .catch(function (e) { error.textContent = errorText(e.code); });
  });

  function onViewers(data) {
    if (state.room && data.room === state.room.id && typeof data.count === "number") $("video-room-viewers").textContent = fmt(T.viewers, data.count);
  }

  function onPoll(poll) {
    if (!state.room || poll.room !== state.room.id) return;
    var id = "video-poll-" + poll.id, existing = $(id);
    var myVote = poll.my_vote !== undefined && poll.my_vote !== null ? poll.my_vote : (existing ? parseInt(existing.dataset.myVote || "0", 10) : 0);
    var box = el("fieldset", { id: id, class: "border rounded p-2 mb-2", "data-my-vote": myVote || "" });
    box.appendChild(el("legend", { class: "fs-6" }, poll.question + (poll.state === "closed" ? " (" + T.closed + ")" : "")));
    var total = poll.options.reduce(function (sum, o) { return sum + o.votes; }, 0);
    poll.options.forEach(function (option) {
      var label = option.text + " · " + fmt(T.votes, option.votes);
      var button = el("button", { type: "button", class: "btn btn-sm d-block mb-1 " + (option.id === myVote ? "btn-primary" : "btn-outline-primary"), "aria-pressed": option.id === myVote ? "true" : "false" }, label);
      if (poll.state === "closed") button.disabled = true;
      button.addEventListener("click", function () {
        request("poll.vote", { poll: poll.id, option: option.id }).then(function () { $(id).dataset.myVote = option.id; }).catch(function (e) { setStatus(errorText(e.code)); });
      });
      box.appendChild(button);
      var bar = el("div", { class: "progress mb-2", role: "presentation" });
      var fill = el("div", { class: "progress-bar" });
      fill.style.width = (total ? Math.round(100 * option.votes / total) : 0) + "%";
      bar.appendChild(fill);
      box.appendChild(bar);
    });
    if (state.moderator && poll.state === "open") {
      var close = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary" }, T.close_poll);
      close.addEventListener("click", function () { request("poll.close", { poll: poll.id }).catch(function () {}); });
      box.appendChild(close);
    }
    if (existing) existing.replaceWith(box); else $("video-poll-list").insertBefore(box, $("video-poll-list").firstChild);
  }

  $("video-poll-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var options = $("video-poll-options").value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean);
    request("poll.create", { room: state.room.id, question: $("video-poll-question").value, options: options })
      .then(function () { $("video-poll-form").reset(); }).catch(function (e) { setStatus(errorText(e.code)); });
  });

  function onQuestion(question) {
    if (!state.room || question.room !== state.room.id) return;
    var id = "video-question-" + question.id, existing = $(id);
    if (question.state === "deleted") { if (existing) existing.remove(); return; }
    var item = el("li", { id: id, class: "list-group-item" + (question.pinned ? " list-group-item-primary" : "") });
    if (question.pinned) item.appendChild(el("span", { class: "badge text-bg-primary me-1" }, T.pinned));
    item.appendChild(el("span", {}, question.content));
    item.appendChild(el("small", { class: "d-block text-body-secondary" }, question.sender.name));
    var vote = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary me-1", "aria-label": fmt(T.upvote, question.votes) }, "▲ " + question.votes);
    vote.addEventListener("click", function () { request("question.vote", { question: question.id }).catch(function () {}); });
    item.appendChild(vote);
    if (state.moderator) {
      var pin = el("button", { type: "button", class: "btn btn-sm btn-outline-primary" }, question.pinned ? T.unpin : T.pin);
      pin.addEventListener("click", function () { request("question.pin", { question: question.id, pinned: !question.pinned }).catch(function () {}); });
      item.appendChild(pin);
    }
    var list = $("video-question-list");
    if (existing) existing.replaceWith(item);
    else if (question.pinned) list.insertBefore(item, list.firstChild);
    else list.appendChild(item);
  }

  $("video-question-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("video-question-input");
    request("question.ask", { room: state.room.id, content: input.value }).then(function () { input.value = ""; })
      .catch(function (e) { setStatus(errorText(e.code)); });
  });

  // --- networking roulette: the server pairs people; a match brings the call to both ---
  var roulette = { room: null, events: 0, janus: null };
  function stopJanusCall() {
    if (roulette.janus) roulette.janus.stop();
    roulette.janus = null;
  }
  function rouletteUi(mode, text) {
    $("video-roulette-start").hidden = mode !== "idle";
    $("video-roulette-skip").hidden = mode !== "matched";
    $("video-roulette-stop").hidden = mode === "idle";
    $("video-roulette-status").textContent = text || "";
    if (mode !== "matched") { stopJanusCall(); $("video-roulette-call").replaceChildren(); }
  }
  function renderRoulette(room, kinds) {
    if (roulette.room && roulette.room !== room.id) request("roulette.stop", { room: roulette.room }).catch(function () {});
    if (roulette.room !== room.id) { roulette.room = null; rouletteUi("idle"); }
    $("video-roulette").hidden = !kinds["networking.roulette"];
  }
  function onRouletteAnswer(sentAt, answer) {
    // A match pushed while the request was under way is newer than a "waiting" answer.
    if (answer.state === "matched") onRouletteMatch(answer.match);
    else if (roulette.events === sentAt) rouletteUi("waiting", T.roulette_waiting);
  }
  function rouletteRequest(action) {
    var sentAt = roulette.events;
    request(action, { room: roulette.room }).then(function (answer) { onRouletteAnswer(sentAt, answer); })
      .catch(function (e) { roulette.room = null; rouletteUi("idle", errorText(e.code)); });
  }
  function onRouletteMatch(match) {
    if (match.room !== roulette.room) return;
    roulette.events++;
    rouletteUi("matched", fmt(T.roulette_matched, match.partner.name));
    var call = $("video-roulette-call"), details = match.call || {};
    // The same match can arrive twice (the answer to a request and the push): keep its call.
    if (details.type === "janus" && roulette.janus && roulette.janus.key === details.server + "#" + details.room) return;
    stopJanusCall();
    call.replaceChildren();
    if (details.type === "jitsi") {
      call.appendChild(el("a", { href: details.url, target: "_blank", rel: "noopener", class: "btn btn-outline-primary mb-2", id: "video-roulette-join" }, T.join_call));
    } else if (details.type === "janus") {
      var info = el("p", { class: "small", id: "video-roulette-join" }, fmt(fmt(T.roulette_janus, details.room), details.pin));
      info.dataset.janusServer = details.server;
      var callState = el("p", { class: "small", id: "video-roulette-call-state", role: "status" });
      call.append(info, callState);
      if (window.eventyayJanusCall) {
        roulette.janus = window.eventyayJanusCall.start(call, details, {
          display: (state.user && state.user.profile && state.user.profile.display_name) || "",
          labels: { you: T.roulette_you, partner: fmt(T.roulette_partner_video, match.partner.name) },
          onstate: function (name, detail) {
            callState.textContent = name === "failed" ? fmt(T.roulette_call_failed, detail) : name === "connecting" ? T.roulette_call_connecting : "";
          }
        });
      }
    }
  }
  function onRouletteEnded(data) {
    if (data.room !== roulette.room) return;
    roulette.events++;
    rouletteUi("waiting", T.roulette_ended);
  }
  $("video-roulette-start").addEventListener("click", function () {
    roulette.room = state.room.id;
    rouletteUi("waiting", T.roulette_waiting);
    rouletteRequest("roulette.start");
  });
  $("video-roulette-skip").addEventListener("click", function () { rouletteUi("waiting", T.roulette_waiting); rouletteRequest("roulette.skip"); });
  $("video-roulette-stop").addEventListener("click", function () {
    var room = roulette.room;
    roulette.room = null;
    rouletteUi("idle");
    request("roulette.stop", { room: room }).catch(function () {});
  });

  function onAnnouncement(announcement) {
    var id = "video-announcement-" + announcement.id, existing = $(id);
    if (!announcement.active) { if (existing) existing.remove(); return; }
    if (existing) return;
    $("video-announcements").appendChild(el("div", { id: id, class: "alert alert-info" }, announcement.text));
  }

  // Other scripts of the page (the exhibition) use the same socket: they send requests and
  // listen to named frames, "authenticated" included.
  var listeners = {};
  window.eventyayVideo = {
    request: request,
    errorText: errorText,
    on: function (name, listener) { (listeners[name] = listeners[name] || []).push(listener); }
  };

  connect();
})();
