/* A networking roulette call on a Janus server: the videoroom plugin, in the browser.
 *
 * Both partners join the match's private room with its PIN as publishers, publish camera and
 * microphone, and subscribe to the other's feed. janus.js and webrtc-adapter are loaded the
 * first time a call starts (their URLs are on this script's tag).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var janusUrl = script.dataset.janus, adapterUrl = script.dataset.adapter;
  var ready = null;

  function loadAdapter() {
    if (window.adapter) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = adapterUrl;
      tag.onload = function () { resolve(); };
      tag.onerror = function () { reject(new Error("webrtc-adapter")); };
      document.head.appendChild(tag);
    });
  }

  // janus.js, initialised once: a promise of the Janus class.
  function loadJanus() {
    if (!ready) {
      ready = loadAdapter().then(function () { return import(janusUrl); }).then(function (module) {
        var Janus = module.default;
        return new Promise(function (resolve) {
          Janus.init({
            debug: false,
            dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
            callback: function () { resolve(Janus); }
          });
        });
      });
      ready.catch(function () { ready = null; });
    }
    return ready;
  }

  function video(id, label, muted) {
    var node = document.createElement("video");
    node.id = id;
    node.autoplay = true;
    node.playsInline = true;
    node.muted = muted;
    node.className = "video-roulette-video";
    node.setAttribute("aria-label", label);
    return node;
  }

  /* Start the call of ``details`` (type "janus": server, room, pin, token) in ``container``.
   * ``options``: display (the user's name), labels {you, partner}, onstate(name, detail).
   * Returns {key, stop}; stop() leaves the room and destroys the session. */
  function start(container, details, options) {
    var call = { key: details.server + "#" + details.room, stopped: false, janus: null, publisher: null, feeds: {} };
    var local = video("video-roulette-local", options.labels.you, true);
    var remote = video("video-roulette-remote", options.labels.partner, false);
    var remoteStream = new MediaStream();
    var videos = document.createElement("div");
    videos.className = "video-roulette-videos";
    videos.append(remote, local);
    container.appendChild(videos);
    var state = function (name, detail) {
      call.state = name;
      container.dataset.janusState = name;
      if (options.onstate && !call.stopped) options.onstate(name, detail);
    };
    var fail = function (what) {
      if (call.stopped) return;
      state("failed", typeof what === "string" ? what : (what && what.message) || String(what));
    };

    function subscribe(Janus, feed) {
      if (call.feeds[feed] || call.stopped) return;
      call.feeds[feed] = true;
      var handle = null;
      call.janus.attach({
        plugin: "janus.plugin.videoroom",
        success: function (attached) {
          handle = attached;
          call.feeds[feed] = handle;
          handle.send({ message: { request: "join", room: details.room, pin: details.pin, ptype: "subscriber", streams: [{ feed: feed }] } });
        },
        error: fail,
        onmessage: function (msg, jsep) {
          if (msg.error) { fail(msg.error); return; }
          if (!jsep) return;
          handle.createAnswer({
            jsep: jsep,
            // Audio and video are accepted as offered, receive-only: nothing is captured here.
            tracks: [{ type: "data" }],
            success: function (answer) { handle.send({ message: { request: "start", room: details.room }, jsep: answer }); },
            error: fail
          });
        },
        iceState: function (ice) { if (ice === "connected" || ice === "completed") state("connected"); },
        onremotetrack: function (track, mid, on) {
          var known = remoteStream.getTracks().filter(function (t) { return t.id === track.id; });
          if (on && !known.length) remoteStream.addTrack(track);
          if (!on) known.forEach(function (t) { remoteStream.removeTrack(t); });
          remote.srcObject = remoteStream.getTracks().length ? remoteStream : null;
          if (remote.srcObject) remote.play().catch(function () {});
        },
        oncleanup: function () {
          remoteStream.getTracks().forEach(function (t) { remoteStream.removeTrack(t); });
          remote.srcObject = null;
        }
      });
    }

    function publishersOf(Janus, msg) {
      (msg.publishers || []).forEach(function (publisher) { subscribe(Janus, publisher.id); });
    }

    function leftFeed(feed) {
      var handle = call.feeds[feed];
      delete call.feeds[feed];
      if (handle && handle.detach) handle.detach();
    }

    state("connecting");
    loadJanus().then(function (Janus) {
      if (call.stopped) return;
      if (!Janus.isWebrtcSupported()) { fail("WebRTC"); return; }
      call.janus = new Janus({
        server: details.server,
        token: details.token || undefined,
        // No STUN or TURN servers of the browser's own: Janus reaches it (see the admin guide).
        iceServers: [],
        success: function () {
          if (call.stopped) { call.janus.destroy(); return; }
          call.janus.attach({
            plugin: "janus.plugin.videoroom",
            success: function (handle) {
              call.publisher = handle;
              handle.send({ message: { request: "join", room: details.room, pin: details.pin, ptype: "publisher", display: options.display } });
            },
            error: fail,
            onmessage: function (msg, jsep) {
              var handle = call.publisher;
              if (msg.error) { fail(msg.error); return; }
              if (msg.videoroom === "joined") {
                state("joined", msg.id);
                handle.createOffer({
                  tracks: [{ type: "audio", capture: true, recv: false }, { type: "video", capture: true, recv: false }],
                  success: function (offer) {
                    handle.send({ message: { request: "configure", audio: true, video: true }, jsep: offer });
                  },
                  error: fail
                });
              }
              if (msg.videoroom === "joined" || msg.videoroom === "event") publishersOf(Janus, msg);
              if (msg.leaving) leftFeed(msg.leaving);
              if (msg.unpublished && msg.unpublished !== "ok") leftFeed(msg.unpublished);
              if (jsep) handle.handleRemoteJsep({ jsep: jsep });
            },
            iceState: function (ice) { if (ice === "connected" || ice === "completed") state("published"); },
            onlocaltrack: function (track, on) {
              if (track.kind !== "video") return;
              local.srcObject = on ? new MediaStream([track]) : null;
              if (on) local.play().catch(function () {});
            }
          });
        },
        error: fail
      });
    }).catch(fail);

    call.stop = function () {
      if (call.stopped) return;
      call.stopped = true;
      if (call.publisher) call.publisher.send({ message: { request: "leave" } });
      if (call.janus) call.janus.destroy({ cleanupHandles: true });
      [local, remote].forEach(function (node) {
        var stream = node.srcObject;
        if (stream && node === local) stream.getTracks().forEach(function (t) { t.stop(); });
        node.srcObject = null;
      });
      videos.remove();
      delete container.dataset.janusState;
    };
    return call;
  }

  window.eventyayJanusCall = { start: start };
})();
