/* The agent's chat console: one websocket (/ws/agent/), one pane per chat. Plain JS.
   Lines are drawn once per id; an unacknowledged line is sent again (same client id) after a
   reconnect, and the server stores it once. */
(function () {
  "use strict";
  var root = document.getElementById("chat-console");
  if (!root) return;
  var t = root.dataset;
  var panes = document.getElementById("chat-panes");
  var empty = document.getElementById("chat-empty");
  var status = document.getElementById("chat-status");
  var chats = {};        // session id -> {pane, lines, seen: {id: el}, pending: {client_id: el}}
  var outbox = {};       // client_id -> payload, until acknowledged
  var ws = null, delay = 500;

  function uid() { return "a-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10); }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function send(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + location.host + root.dataset.ws);
    ws.onopen = function () {
      delay = 500; status.textContent = "";
      Object.keys(outbox).forEach(function (k) { send(outbox[k]); });
    };
    ws.onmessage = function (ev) {
      var m = JSON.parse(ev.data);
      if (m.type === "workspace") return document.dispatchEvent(new CustomEvent("cw:socket", {detail: m}));
      handle(m);
    };
    ws.onclose = function () {
      document.dispatchEvent(new CustomEvent("cw:socket-closed"));
      status.textContent = t.tReconnecting;
      setTimeout(connect, delay); delay = Math.min(delay * 2, 8000);
    };
  }

  function handle(m) {
    if (m.type === "chat") return showChat(m);
    var chat = chats[m.session];
    if (m.type === "removed") return removeChat(m.session);
    if (!chat) return;
    if (m.type === "line") return addLine(chat, m);
    if (m.type === "ack") { delete outbox[m.client_id]; return settle(chat, m.client_id, m.id); }
    if (m.type === "typing") { chat.meta.textContent = m.is_typing ? t.tTyping : ""; return; }
    if (m.type === "read") { chat.readId = m.id; markRead(chat); return; }
    if (m.type === "ended") { chat.pane.classList.add("is-ended"); if (window.cwShare) window.cwShare.ended(chat); return; }
    if (m.type === "share" || m.type === "share.signal") { if (window.cwShare) window.cwShare.handle(chat, m); return; }
    if (m.type === "error") {
      if (m.client_id) delete outbox[m.client_id];
      chat.meta.textContent = m.message;
    }
  }

  function showChat(m) {
    var chat = chats[m.session];
    if (!chat) chat = chats[m.session] = buildPane(m);
    chat.data = m;
    chat.title.textContent = m.name;
    chat.sub.textContent = m.email + (m.case ? " · " + m.case : "");
    chat.caseLink.href = m.case_url; chat.caseLink.hidden = !m.case_url;
    chat.pane.classList.toggle("is-offer", m.is_offer);
    chat.accept.hidden = chat.decline.hidden = !m.is_offer;
    chat.compose.hidden = !m.is_mine;
    chat.end.hidden = chat.transfer.hidden = !m.is_mine;
    chat.readId = m.visitor_read_id; markRead(chat);
    if (m.is_offer) status.textContent = t.tOffer + ": " + m.name;
    if (m.is_mine && !chat.contextLoaded && m.context_url) loadContext(chat, m.context_url);
    if (window.cwShare) window.cwShare.mine(chat);
    empty.hidden = true;
  }

  function buildPane(m) {
    var pane = el("section", "chat-pane"); pane.setAttribute("aria-label", m.name); pane.dataset.session = m.session;
    pane.setAttribute("data-testid", "chat-pane");
    var head = el("header"), who = el("div"), title = el("h2", null, m.name), sub = el("span", "chat-sub");
    who.append(title, sub);
    var actions = el("div", "chat-actions");
    var accept = el("button", "btn btn-primary btn-sm", t.tAccept); accept.type = "button";
    var decline = el("button", "btn btn-ghost btn-sm", t.tDecline); decline.type = "button";
    var caseLink = el("a", "btn btn-ghost btn-sm", t.tOpenCase); caseLink.target = "_blank";
    var end = el("button", "btn btn-ghost btn-sm", t.tEnd); end.type = "button";
    actions.append(accept, decline, caseLink, end);
    head.append(who, actions);
    var lines = el("ol", "chat-lines"); lines.setAttribute("aria-live", "polite"); lines.setAttribute("aria-label", m.name);
    lines.tabIndex = 0;
    var meta = el("p", "chat-meta"); meta.setAttribute("role", "status");
    var compose = el("form", "chat-compose");
    var label = el("label", "visually-hidden", t.tMessage + " — " + m.name);
    var area = el("textarea"); area.id = "chat-input-" + m.session; label.htmlFor = area.id; area.rows = 2;
    var row = el("div", "row");
    var canned = el("select"); canned.setAttribute("aria-label", t.tCanned);
    canned.innerHTML = document.getElementById("canned-options").innerHTML;
    var transfer = el("select"); transfer.setAttribute("aria-label", t.tTransfer);
    transfer.innerHTML = document.getElementById("transfer-options").innerHTML;
    var submit = el("button", "btn btn-primary btn-sm", t.tSend); submit.type = "submit";
    row.append(canned, transfer, el("span", "spacer"), submit);
    compose.append(label, area, row);
    var context = el("div", "chat-context-slot");
    pane.append(head, lines, meta, compose, context);
    panes.append(pane);
    var chat = {pane: pane, title: title, sub: sub, lines: lines, meta: meta, compose: compose, area: area,
                accept: accept, decline: decline, caseLink: caseLink, end: end, transfer: transfer,
                context: context, seen: {}, pending: {}, readId: 0, session: m.session, lastTyping: 0};
    accept.onclick = function () { send({type: "accept", session: m.session}); status.textContent = ""; };
    decline.onclick = function () { send({type: "decline", session: m.session}); status.textContent = ""; };
    end.onclick = function () { send({type: "end", session: m.session}); };
    canned.onchange = function () {
      var opt = canned.selectedOptions[0];
      if (opt && opt.dataset.text) { area.value = area.value ? area.value + "\n" + opt.dataset.text : opt.dataset.text; area.focus(); }
      canned.value = "";
    };
    transfer.onchange = function () { if (transfer.value) send({type: "transfer", session: m.session, target: transfer.value}); transfer.value = ""; };
    area.addEventListener("input", function () {
      var now = Date.now();
      if (now - chat.lastTyping > 2000) { chat.lastTyping = now; send({type: "typing", session: m.session, is_typing: true}); }
    });
    area.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); } });
    compose.onsubmit = function (e) {
      e.preventDefault();
      var text = area.value.trim(); if (!text) return;
      var cid = uid(), payload = {type: "message", session: m.session, client_id: cid, text: text};
      outbox[cid] = payload; send(payload);
      var li = drawLine(chat, {role: "agent", text: text, author: "", client_id: cid}); li.classList.add("is-pending");
      chat.pending[cid] = li; area.value = ""; area.focus();
      send({type: "typing", session: m.session, is_typing: false}); chat.lastTyping = 0;
    };
    lines.addEventListener("scroll", function () { readUpTo(chat); });
    chat.data = m;
    if (window.cwShare) window.cwShare.setup(chat, actions, send);
    return chat;
  }

  function drawLine(chat, m) {
    var li = el("li", "chat-line " + m.role);
    if (m.role !== "system") li.append(el("span", "who", m.role === "visitor" ? chat.data.name : (m.role === "bot" ? "Bot" : (m.author || ""))));
    li.append(document.createTextNode(m.text));
    if (m.file_url) { li.append(" "); var a = el("a", null, m.file); a.href = m.file_url; li.append(a); }
    if (m.url) { li.append(" "); var l = el("a", null, "↗"); l.href = m.url; l.target = "_blank"; l.setAttribute("aria-label", m.url); li.append(l); }
    chat.lines.append(li); chat.lines.scrollTop = chat.lines.scrollHeight;
    return li;
  }

  // The ack of the agent's own line carries its id: the server does not send the line back.
  function settle(chat, cid, id) {
    var li = cid && chat.pending[cid];
    if (!li || !id || chat.seen[id]) return;
    li.classList.remove("is-pending"); delete chat.pending[cid];
    li.dataset.id = id; li.dataset.role = "agent"; chat.seen[id] = li;
    markRead(chat);
  }

  function addLine(chat, m) {
    if (chat.seen[m.id]) return;
    var pending = m.client_id && chat.pending[m.client_id];
    var li;
    if (pending) { pending.classList.remove("is-pending"); li = pending; delete chat.pending[m.client_id]; delete outbox[m.client_id]; }
    else li = drawLine(chat, m);
    li.dataset.id = m.id; li.dataset.role = m.role;
    chat.seen[m.id] = li;
    if (m.role === "visitor") chat.meta.textContent = "";
    markRead(chat); readUpTo(chat);
  }

  function readUpTo(chat) {
    var ids = Object.keys(chat.seen).map(Number); if (!ids.length || document.hidden) return;
    var top = Math.max.apply(null, ids);
    if (top > (chat.sentRead || 0)) { chat.sentRead = top; send({type: "read", session: chat.session, id: top}); }
  }

  function markRead(chat) {
    var mine = chat.lines.querySelectorAll(".chat-line.agent[data-id]");
    mine.forEach(function (li) {
      var read = Number(li.dataset.id) <= chat.readId;
      var tag = li.querySelector(".read-tag");
      if (read && !tag) { tag = el("span", "who read-tag", "✓ " + t.tRead); li.append(tag); }
    });
  }

  function loadContext(chat, url) {
    chat.contextLoaded = true;
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      if (!html) return;
      var d = document.createElement("details"); d.open = true;
      d.append(el("summary", null, chat.data.name));
      var box = el("div"); box.innerHTML = html; d.append(box);
      chat.context.replaceChildren(d);
    });
  }

  function removeChat(id) {
    var chat = chats[id]; if (!chat) return;
    chat.pane.remove(); delete chats[id];
    empty.hidden = Object.keys(chats).length > 0;
  }

  document.addEventListener("visibilitychange", function () { Object.keys(chats).forEach(function (k) { readUpTo(chats[k]); }); });
  connect();
})();
