/* Screen sharing in the chat console: ask to see the visitor's screen, watch it live, end it.
   The visitor's browser captures the screen and makes the WebRTC offer; this page answers and
   shows the stream. console.js calls window.cwShare for each pane and each share message;
   the signalling goes over the console's websocket, and the server relays it between the
   share's agent and visitor only. */
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) return;
  var t = root.dataset;

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function button(cls, text, testid) { var b = el("button", cls, text); b.type = "button"; b.setAttribute("data-testid", testid); return b; }

  function setup(chat, actions, send) {
    var ask = button("btn btn-ghost btn-sm", t.tShareAsk, "share-ask");
    var box = el("div", "share-box"); box.hidden = true; box.setAttribute("data-testid", "share-box");
    var status = el("p", "share-status"); status.setAttribute("role", "status");
    var video = el("video"); video.autoplay = true; video.muted = true; video.playsInline = true; video.hidden = true;
    video.setAttribute("data-testid", "share-video"); video.setAttribute("aria-label", t.tShareVideo + " — " + chat.data.name);
    var row = el("div", "share-row");
    var full = button("btn btn-ghost btn-sm", t.tShareFull, "share-full"); full.hidden = true;
    var stop = button("btn btn-ghost btn-sm", t.tShareEnd, "share-end");
    row.append(full, stop);
    box.append(status, video, row);
    actions.insertBefore(ask, chat.end);
    chat.pane.insertBefore(box, chat.lines);
    var s = chat.share = {ask: ask, box: box, status: status, video: video, full: full, stop: stop, send: send,
                          id: 0, ice: [], pc: null, early: [], session: chat.session};
    ask.onclick = function () { send({type: "share.request", session: chat.session}); };
    stop.onclick = function () { if (s.id) send({type: "share.end", session: chat.session, share: s.id}); };
    full.onclick = function () { if (video.requestFullscreen) video.requestFullscreen(); };
    ask.hidden = !chat.data.is_mine;
  }

  function show(s, text, live) {
    s.box.hidden = false; s.status.textContent = text;
    s.box.classList.toggle("is-live", !!live);
    s.video.hidden = s.full.hidden = !live;
  }

  function close(s) {
    if (s.pc) { s.pc.close(); s.pc = null; }
    s.video.srcObject = null;
  }

  function onShare(chat, s, m) {
    s.ice = m.ice_servers || [];
    if (m.state === "requested") {
      s.id = m.share; s.ask.hidden = true; s.stop.hidden = false; s.stop.textContent = t.tShareCancel;
      show(s, t.tShareWaiting.replace("{name}", chat.data.name), false);
    } else if (m.state === "sharing") {
      var first = s.id !== m.share || !s.pc;
      s.id = m.share; s.ask.hidden = true; s.stop.hidden = false; s.stop.textContent = t.tShareEnd;
      if (!s.pc) show(s, t.tShareConnecting, false);
      // This page (re)joined a share that is already on: ask the visitor's page for an offer.
      if (first && m.rejoined) s.send({type: "share.signal", session: chat.session, share: s.id, data: {restart: true}});
    } else {
      close(s); s.id = 0; s.ask.hidden = !chat.data.is_mine; s.stop.hidden = true;
      if (m.state === "declined") show(s, t.tShareDeclined.replace("{name}", chat.data.name), false);
      else s.box.hidden = true;
    }
  }

  function onSignal(chat, s, data) {
    if (data.sdp && data.sdp.type === "offer") {
      close(s);
      var pc = s.pc = new RTCPeerConnection({iceServers: s.ice}), id = s.id;
      s.early = [];
      pc.onicecandidate = function (e) {
        if (e.candidate) s.send({type: "share.signal", session: chat.session, share: id, data: {candidate: e.candidate.toJSON()}});
      };
      pc.ontrack = function (e) {
        s.video.srcObject = e.streams[0] || new MediaStream([e.track]);
        show(s, t.tShareLive.replace("{name}", chat.data.name), true);
      };
      pc.onconnectionstatechange = function () {
        if (pc.connectionState === "failed") show(s, t.tShareFailed, false);
      };
      pc.setRemoteDescription(data.sdp).then(function () {
        s.early.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); }); s.early = [];
        return pc.createAnswer();
      }).then(function (answer) { return pc.setLocalDescription(answer); })
        .then(function () { s.send({type: "share.signal", session: chat.session, share: id, data: {sdp: pc.localDescription.toJSON()}}); });
    } else if (data.candidate && s.pc) {
      if (s.pc.remoteDescription) s.pc.addIceCandidate(data.candidate).catch(function () {});
      else s.early.push(data.candidate);
    }
  }

  window.cwShare = {
    setup: setup,
    handle: function (chat, m) {
      var s = chat.share; if (!s) return;
      if (m.type === "share") onShare(chat, s, m);
      else if (m.type === "share.signal" && m.share === s.id) onSignal(chat, s, m.data || {});
    },
    mine: function (chat) { if (chat.share && !chat.share.id) chat.share.ask.hidden = !chat.data.is_mine; },
    ended: function (chat) { if (chat.share) { close(chat.share); chat.share.ask.hidden = true; chat.share.box.hidden = true; } }
  };
})();
