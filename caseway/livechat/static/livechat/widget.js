/* Caseway live chat widget. One tag on any allowed site:
     <script src="https://support.example.com/static/livechat/widget.js" defer
             data-title="Chat with us" data-color="#4f46e5"></script>
   Plain JS, no build step, its own shadow DOM (the host page's styles do not leak in).
   Keeps the session token and the outbox in localStorage; every message has a client id and
   stays in the outbox until the server acknowledges it, so a reconnect loses nothing and the
   server stores nothing twice. The acknowledgement carries the line's id (the server does not
   send a line back to the connection that said it). A page resumes its chat from the first
   line (the whole transcript is drawn again after a reload), a reconnect from the last line
   the page has. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__casewayChat) return;
  window.__casewayChat = true;
  var base = new URL(script.src, location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/ws/chat/";
  var uploadUrl = base.origin + "/chat/upload/";
  var title = script.dataset.title || "Chat with us";
  var color = script.dataset.color || "#4f46e5";
  var KEY = "caseway-chat:" + base.host;
  var store = load();
  var ws = null, delay = 500, state = "", seen = {}, cursor = 0, outbox = store.outbox || {}, lastTyping = 0, agentRead = 0, open = false;

  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } }
  function save() { store.outbox = outbox; try { localStorage.setItem(KEY, JSON.stringify(store)); } catch (e) { /* private mode */ } }
  function uid() { return "v-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10); }

  var host = document.createElement("div");
  host.id = "caseway-chat";
  document.body.appendChild(host);
  var shadow = host.attachShadow({mode: "open"});
  shadow.innerHTML = '<style>' +
    ':host{all:initial;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Arial,sans-serif;font-size:15px;color:#101828}' +
    '*{box-sizing:border-box}[hidden]{display:none!important}' +
    '.launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;background:' + color + ';color:#fff;font-weight:600;font-size:15px;line-height:1;font-family:inherit;box-shadow:0 6px 20px rgba(16,24,40,.25);cursor:pointer}' +
    '.launch:focus-visible,button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}' +
    '.panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 110px);background:#fff;border-radius:16px;box-shadow:0 16px 48px rgba(16,24,40,.28);display:flex;flex-direction:column;overflow:hidden}' +
    '.panel[hidden]{display:none}' +
    'header{background:' + color + ';color:#fff;padding:14px 16px;display:flex;align-items:center;justify-content:space-between;gap:8px}' +
    'header h2{margin:0;font-size:16px}header p{margin:2px 0 0;font-size:12px;opacity:.85}' +
    '.x{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:8px}' +
    'form.pre{padding:16px;display:flex;flex-direction:column;gap:10px;overflow:auto}' +
    'label{font-size:13px;font-weight:600;display:flex;flex-direction:column;gap:4px}' +
    'input,textarea{font:inherit;font-size:16px;padding:9px 11px;border:1px solid #d0d5dd;border-radius:10px;width:100%}' +
    'textarea{resize:none}' +
    '.primary{background:' + color + ';color:#fff;border:0;border-radius:10px;padding:11px 14px;font-weight:600;font-size:15px;font-family:inherit;cursor:pointer}' +
    '.ghost{background:#fff;color:#344054;border:1px solid #d0d5dd;border-radius:10px;padding:7px 11px;font-weight:500;font-size:13px;font-family:inherit;cursor:pointer}' +
    '.log{list-style:none;margin:0;padding:14px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px;background:#f9fafb}' +
    '.line{max-width:85%;padding:9px 12px;border-radius:14px;line-height:1.4;white-space:pre-wrap;overflow-wrap:anywhere}' +
    '.line .who{display:block;font-size:11px;color:#667085;margin-bottom:2px}' +
    '.visitor{align-self:flex-end;background:' + color + ';color:#fff}.visitor .who{color:rgba(255,255,255,.8)}' +
    '.bot,.agent{align-self:flex-start;background:#fff;border:1px solid #e4e7ec}' +
    '.system{align-self:center;font-size:12px;color:#667085;text-align:center;background:none;padding:2px 6px}' +
    '.pending{opacity:.6}.line a{color:inherit}' +
    '.meta{margin:0;min-height:20px;padding:2px 14px;font-size:12px;color:#667085;background:#f9fafb}' +
    '.tools{display:flex;gap:6px;padding:8px 12px 0;flex-wrap:wrap}' +
    'form.say{display:flex;gap:8px;padding:10px 12px 12px;align-items:flex-end;border-top:1px solid #e4e7ec}' +
    'form.say textarea{min-height:44px;max-height:120px}' +
    '.hidden-label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.err{color:#b42318;font-size:13px;margin:0}' +
    '.share{padding:12px 14px;background:#fffbeb;border-bottom:1px solid #fde68a;font-size:14px;line-height:1.4}.share p{margin:0 0 8px}.share .small{font-size:12px;color:#667085}' +
    '.share-actions{display:flex;gap:8px;flex-wrap:wrap}.share.live{background:#ecfdf3;border-color:#abefc6}.share.live p:first-child::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#12b76a;margin-right:7px;vertical-align:1px}' +
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}.launch{right:12px;bottom:12px}}' +
    '</style>' +
    '<button class="launch" type="button" aria-expanded="false" aria-controls="cw-panel"></button>' +
    '<section class="panel" id="cw-panel" role="dialog" aria-modal="false" aria-labelledby="cw-title" hidden>' +
    '<header><div><h2 id="cw-title"></h2><p class="sub" id="cw-sub">We usually answer in a few minutes.</p></div>' +
    '<button class="x" type="button" aria-label="Close the chat window">×</button></header>' +
    '<div class="share" role="region" aria-label="Screen sharing" hidden><p class="share-text" aria-live="assertive"></p>' +
    '<p class="small share-note">Only the person in this chat sees your screen while you share it; nothing is recorded. You can stop at any time.</p>' +
    '<div class="share-actions"><button class="primary share-yes" type="button">Share my screen</button>' +
    '<button class="ghost share-no" type="button">No thanks</button><button class="ghost share-stop" type="button">Stop sharing</button></div></div>' +
    '<form class="pre" novalidate>' +
    '<p style="margin:0">Tell us who you are and what you need; our help bot answers first.</p>' +
    '<label>Name<input name="name" autocomplete="name" required></label>' +
    '<label>Email<input name="email" type="email" autocomplete="email" required></label>' +
    '<label>Your question<textarea name="question" rows="3" required></textarea></label>' +
    '<p class="err" role="alert"></p>' +
    '<button class="primary" type="submit">Start chat</button></form>' +
    '<ol class="log" aria-live="polite" aria-label="Conversation" hidden></ol>' +
    '<p class="meta" role="status" hidden></p>' +
    '<div class="tools" hidden><button class="ghost person" type="button">Talk to a person</button>' +
    '<label class="ghost file-label" style="font-weight:500;flex-direction:row;cursor:pointer">Send a file<input class="file" type="file" style="position:absolute;opacity:0;width:1px;height:1px"></label>' +
    '<button class="ghost end" type="button">End chat</button></div>' +
    '<form class="say" hidden><label class="hidden-label" for="cw-text">Message</label>' +
    '<textarea id="cw-text" rows="1" placeholder="Type your message…"></textarea>' +
    '<button class="primary" type="submit">Send</button></form></section>';

  var q = function (s) { return shadow.querySelector(s); };
  var launch = q(".launch"), panel = q(".panel"), pre = q("form.pre"), log = q(".log"), meta = q(".meta"),
      tools = q(".tools"), say = q("form.say"), text = q("#cw-text"), err = q(".err"), sub = q("#cw-sub");
  var startButton = pre.querySelector("button[type=submit]");
  launch.textContent = title; q("#cw-title").textContent = title;

  function setOpen(v) {
    open = v; panel.hidden = !v; launch.setAttribute("aria-expanded", String(v));
    if (v) { connect(); (store.token ? text : pre.querySelector("input")).focus(); readUpTo(); }
    else launch.focus();
  }
  launch.onclick = function () { setOpen(!open); };
  q(".x").onclick = function () { setOpen(false); };
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });

  function showChat() { pre.hidden = true; log.hidden = meta.hidden = tools.hidden = say.hidden = false; }

  function connect() {
    if (ws && ws.readyState <= 1) return;
    ws = new WebSocket(wsUrl);
    ws.onopen = function () {
      delay = 500; sub.textContent = "We usually answer in a few minutes.";
      if (store.token) ws.send(JSON.stringify({type: "resume", token: store.token, cursor: cursor}));
    };
    ws.onmessage = function (ev) { handle(JSON.parse(ev.data)); };
    ws.onclose = function () {
      if (!store.token) return;
      sub.textContent = "Reconnecting…";
      setTimeout(connect, delay); delay = Math.min(delay * 2, 8000);
    };
  }
  function send(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }
  // Lines not acknowledged yet go again; after a reload they are drawn (pending) too, and take
  // their place when the server has them: their line in the transcript, or their ack.
  function flush() {
    Object.keys(outbox).forEach(function (k) {
      var m = outbox[k];
      if (m.type === "message" && !pendingLine(k)) { var li = draw({role: "visitor", text: m.text}); li.classList.add("pending"); li.dataset.client = k; li.dataset.resent = "1"; }
      send(m);
    });
  }

  function handle(m) {
    if (m.type === "state") {
      var first = !store.token;
      store.token = m.token; state = m.state; agentRead = m.agent_read_id || agentRead; save();
      showChat(); if (first) text.focus();
      q(".person").hidden = state !== "bot";
      q(".file-label").hidden = state === "bot" || state === "ended";
      say.hidden = state === "ended"; q(".end").hidden = state === "ended";
      if (state === "ended") { meta.textContent = "This chat has ended. Thank you!"; stopCapture(); shareBox.hidden = true; }
      flush(); markRead();
    } else if (m.type === "line") addLine(m);
    else if (m.type === "share") onShare(m);
    else if (m.type === "share.signal") onSignal(m);
    else if (m.type === "ack") { delete outbox[m.client_id]; save(); settle(m.client_id, m.id); }
    else if (m.type === "typing") meta.textContent = m.is_typing ? "An agent is typing…" : "";
    else if (m.type === "read") { agentRead = m.id; markRead(); }
    else if (m.type === "error") {
      if (m.client_id) { delete outbox[m.client_id]; save(); }
      if (pre.hidden) meta.textContent = m.message; else { err.textContent = m.message; startButton.disabled = false; }
    } else if (m.type === "expired") { store = {}; outbox = {}; save(); pre.hidden = false; log.hidden = meta.hidden = tools.hidden = say.hidden = true; }
  }

  function draw(m) {
    var li = document.createElement("li");
    li.className = "line " + m.role;
    if (m.role !== "system") {
      var who = document.createElement("span"); who.className = "who";
      who.textContent = m.role === "visitor" ? "You" : (m.role === "bot" ? "Help bot" : (m.author || "Agent"));
      li.appendChild(who);
    }
    li.appendChild(document.createTextNode(m.text));
    if (m.url) { var a = document.createElement("a"); a.href = m.url; a.target = "_blank"; a.rel = "noopener"; a.textContent = "Read the article"; li.appendChild(document.createTextNode(" ")); li.appendChild(a); }
    log.appendChild(li); log.scrollTop = log.scrollHeight;
    return li;
  }
  function pendingLine(cid) { return cid ? log.querySelector('[data-client="' + CSS.escape(cid) + '"]') : null; }
  function settle(cid, id) {
    var li = pendingLine(cid);
    if (!li || !id) return;
    if (li.dataset.resent) { delete li.dataset.resent; log.appendChild(li); }
    li.classList.remove("pending"); li.dataset.id = id; seen[id] = true; markRead();
  }
  function addLine(m) {
    if (m.id > cursor) cursor = m.id;
    if (seen[m.id]) return;
    var li = pendingLine(m.client_id);
    if (li) {
      li.classList.remove("pending");
      if (li.dataset.resent) { delete li.dataset.resent; log.appendChild(li); }
    } else li = draw(m);
    li.dataset.id = m.id; seen[m.id] = true;
    if (m.client_id && outbox[m.client_id]) { delete outbox[m.client_id]; save(); }
    if (m.role === "agent") meta.textContent = "";
    markRead(); readUpTo();
  }
  function readUpTo() {
    if (!open || document.hidden || !cursor) return;
    if (cursor > (store.sentRead || 0)) { store.sentRead = cursor; save(); send({type: "read", id: cursor}); }
  }
  function markRead() {
    log.querySelectorAll(".visitor[data-id]").forEach(function (li) {
      if (Number(li.dataset.id) <= agentRead && !li.querySelector(".read")) {
        var r = document.createElement("span"); r.className = "who read"; r.textContent = "✓ Read"; li.appendChild(r);
      }
    });
  }

  pre.onsubmit = function (e) {
    e.preventDefault();
    var f = new FormData(pre), name = String(f.get("name") || "").trim(), email = String(f.get("email") || "").trim(), question = String(f.get("question") || "").trim();
    if (!name || !email || !question) { err.textContent = "Please fill in your name, email and question."; return; }
    if (!pre.querySelector("[name=email]").checkValidity()) { err.textContent = "Please enter a valid email address."; return; }
    err.textContent = "";
    startButton.disabled = true;
    connect();
    var go = function () { send({type: "start", name: name, email: email, question: question}) || setTimeout(go, 200); };
    go();
  };
  say.onsubmit = function (e) {
    e.preventDefault();
    var body = text.value.trim(); if (!body) return;
    var cid = uid(), payload = {type: "message", client_id: cid, text: body};
    outbox[cid] = payload; save(); send(payload);
    var li = draw({role: "visitor", text: body}); li.classList.add("pending"); li.dataset.client = cid;
    text.value = ""; send({type: "typing", is_typing: false}); lastTyping = 0;
  };
  text.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); say.requestSubmit(); } });
  text.addEventListener("input", function () {
    var now = Date.now();
    if (state !== "bot" && now - lastTyping > 2000) { lastTyping = now; send({type: "typing", is_typing: true}); }
  });
  q(".person").onclick = function () { send({type: "person"}); };
  q(".end").onclick = function () { send({type: "end"}); };
  q(".file").onchange = function (e) {
    var file = e.target.files[0]; if (!file || !store.token) return;
    var data = new FormData(); data.append("token", store.token); data.append("client_id", uid()); data.append("file", file);
    meta.textContent = "Sending " + file.name + "…";
    fetch(uploadUrl, {method: "POST", body: data, credentials: "omit"}).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) { meta.textContent = res[0] ? "" : res[1].error; })
      .catch(function () { meta.textContent = "The file could not be sent."; });
    e.target.value = "";
  };

  // Screen sharing: the agent asks, the visitor agrees, this page captures the screen
  // (getDisplayMedia) and sends it over WebRTC; it makes the offer, the agent's page answers.
  // Signalling goes over the chat's websocket; the server relays it to that agent only.
  var shareBox = q(".share"), shareText = q(".share-text"), shareNote = q(".share-note");
  var shareYes = q(".share-yes"), shareNo = q(".share-no"), shareStop = q(".share-stop");
  var share = {id: 0, ice: [], pc: null, stream: null, early: []};
  function onShare(m) {
    share.ice = m.ice_servers || [];
    if (m.state === "requested") {
      share.id = m.share; shareBox.hidden = false; shareBox.classList.remove("live");
      shareText.textContent = m.agent + " asks to see your screen."; shareNote.hidden = false;
      shareYes.hidden = shareNo.hidden = false; shareStop.hidden = true;
      if (!open) setOpen(true);
    } else if (m.state === "sharing") {
      share.id = m.share;
      if (!share.stream) { send({type: "share.end", share: m.share}); return; }  // a reload lost the capture
      shareBox.hidden = false; shareBox.classList.add("live"); shareNote.hidden = true;
      shareText.textContent = "You are sharing your screen with " + m.agent + ".";
      shareYes.hidden = shareNo.hidden = true; shareStop.hidden = false;
    } else { stopCapture(); shareBox.hidden = true; share.id = 0; }
    log.scrollTop = log.scrollHeight;
  }
  function peer() {
    if (share.pc) share.pc.close();
    var pc = share.pc = new RTCPeerConnection({iceServers: share.ice}), id = share.id;
    share.early = [];
    share.stream.getTracks().forEach(function (track) { pc.addTrack(track, share.stream); });
    pc.onicecandidate = function (e) { if (e.candidate) send({type: "share.signal", share: id, data: {candidate: e.candidate.toJSON()}}); };
    pc.createOffer().then(function (o) { return pc.setLocalDescription(o); })
      .then(function () { send({type: "share.signal", share: id, data: {sdp: pc.localDescription.toJSON()}}); });
  }
  function onSignal(m) {
    var pc = share.pc, data = m.data || {};
    if (m.share !== share.id) return;
    if (data.restart && share.stream) return peer();  // the agent's page reconnected
    if (!pc) return;
    if (data.sdp && data.sdp.type === "answer") {
      pc.setRemoteDescription(data.sdp).then(function () {
        share.early.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); }); share.early = [];
      });
    } else if (data.candidate) {
      if (pc.remoteDescription) pc.addIceCandidate(data.candidate).catch(function () {}); else share.early.push(data.candidate);
    }
  }
  function stopCapture() {
    if (share.pc) { share.pc.close(); share.pc = null; }
    if (share.stream) { share.stream.getTracks().forEach(function (t) { t.stop(); }); share.stream = null; }
  }
  shareYes.onclick = function () {
    var id = share.id;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
      shareText.textContent = "This browser cannot share its screen."; send({type: "share.answer", share: id, accept: false}); return;
    }
    navigator.mediaDevices.getDisplayMedia({video: true, audio: false}).then(function (stream) {
      share.stream = stream;
      stream.getVideoTracks().forEach(function (t) { t.onended = function () { send({type: "share.end", share: id}); stopCapture(); }; });
      send({type: "share.answer", share: id, accept: true});
      peer();
    }).catch(function () { send({type: "share.answer", share: id, accept: false}); });
  };
  shareNo.onclick = function () { send({type: "share.answer", share: share.id, accept: false}); };
  shareStop.onclick = function () { send({type: "share.end", share: share.id}); stopCapture(); };

  document.addEventListener("visibilitychange", readUpTo);
  // A page of the widget's own site may hand it a chat it opened (the portal bot's "Chat with a
  // person now"), on load or in content htmx swapped in: the widget takes that session over
  // from its first line and opens.
  function adopt() {
    var handed = location.origin === base.origin && document.querySelector("[data-caseway-chat-token]");
    var token = handed && handed.dataset.casewayChatToken;
    if (!token || token === store.token) return false;
    store = {token: token}; outbox = {}; save(); cursor = 0;
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
    setOpen(true);
    return true;
  }
  document.addEventListener("htmx:afterSettle", adopt);
  if (!adopt() && store.token) { connect(); }
})();
