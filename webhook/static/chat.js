// Puente web chat: plain JavaScript, no third-party code. Text is always inserted as text, never HTML.
(function () {
  "use strict";

  var KEY_CONVERSATION = "puente.conversation";
  var KEY_LANGUAGE = "puente.language";
  // How many messages sent outside a reply (a person's, the bot's after a handoff) were shown.
  var KEY_SEEN = "puente.seen";
  // Set once a person has the conversation: only then can messages come without being asked for.
  var KEY_WATCH = "puente.watch";
  var UPDATE_EVERY_MS = 4000;

  var strings = JSON.parse(document.getElementById("puente-strings").textContent);
  var language = document.documentElement.lang;
  var log = document.getElementById("log");
  var statusLine = document.getElementById("status");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var picker = document.getElementById("language");
  var exitButton = document.getElementById("quick-exit");
  var deleteButton = document.getElementById("delete");
  var deleteDialog = document.getElementById("delete-dialog");
  var busy = false;

  function quickExit() {
    // Hide everything first, forget the conversation, then replace this page in the history.
    document.body.textContent = "";
    document.title = "";
    try { sessionStorage.clear(); } catch (e) { /* storage may be blocked */ }
    window.location.replace(exitButton.getAttribute("data-url"));
  }

  function stored(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try { sessionStorage.setItem(key, value); } catch (e) { /* private mode: keep it in memory */ }
  }

  function applyStrings(next, code) {
    strings = next;
    language = code;
    document.documentElement.lang = code;
    document.title = strings.page_title;
    document.querySelectorAll("[data-ui]").forEach(function (el) {
      el.textContent = strings[el.getAttribute("data-ui")];
    });
    document.querySelectorAll("[data-ui-placeholder]").forEach(function (el) {
      el.placeholder = strings[el.getAttribute("data-ui-placeholder")];
    });
    picker.value = code;
  }

  function switchLanguage(code) {
    if (code === language) { return Promise.resolve(); }
    return fetch("/api/chat/ui/" + encodeURIComponent(code), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r); })
      .then(function (data) { applyStrings(data.strings, data.language); })
      .catch(function () { picker.value = language; });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return r.ok ? data : Promise.reject(data);
      });
    });
  }

  function forgetConversation() {
    // The server erased it: take it off the screen too, and start a new one next time.
    log.textContent = "";
    try {
      sessionStorage.removeItem(KEY_CONVERSATION);
      sessionStorage.removeItem(KEY_SEEN);
      sessionStorage.removeItem(KEY_WATCH);
    } catch (e) { /* storage may be blocked */ }
  }

  function fetchUpdates() {
    // Messages that come without being asked for: an advocate's answer, the bot after a handoff.
    var id = stored(KEY_CONVERSATION);
    if (!id || busy || !stored(KEY_WATCH)) { return; }
    var after = parseInt(stored(KEY_SEEN) || "0", 10) || 0;
    fetch("/api/chat/updates?conversation_id=" + encodeURIComponent(id) + "&after=" + after, {
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (r) {
      return r.ok ? r.json() : Promise.reject(r);
    }).then(function (data) {
      if (stored(KEY_CONVERSATION) !== id) { return; }  // deleted or exited meanwhile
      data.messages.forEach(function (m) { addMessage("bot", m.text, m.buttons); });
      store(KEY_SEEN, String(data.next));
    }).catch(function () { /* offline for a moment: the next round tries again */ });
  }

  function conversationId() {
    var id = stored(KEY_CONVERSATION);
    if (id) { return Promise.resolve(id); }
    return post("/api/chat/start").then(function (data) {
      store(KEY_CONVERSATION, data.conversation_id);
      return data.conversation_id;
    });
  }

  function addMessage(who, text, buttons) {
    var item = document.createElement("li");
    item.className = "msg " + who;
    item.lang = language;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who === "user" ? strings.you : strings.assistant;
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    item.appendChild(label);
    item.appendChild(body);
    if (buttons && buttons.length) {
      var choices = document.createElement("div");
      choices.className = "choices";
      buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () { send(b.payload, b.title); });
        choices.appendChild(button);
      });
      item.appendChild(choices);
    }
    log.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function send(text, shown) {
    if (busy) { return; }
    if (!text.trim()) { statusLine.textContent = strings.error_empty; return; }
    busy = true;
    addMessage("user", shown || text);
    statusLine.textContent = strings.writing;
    conversationId().then(function (id) {
      return post("/api/chat/message", {
        conversation_id: id,
        text: text,
        language: stored(KEY_LANGUAGE),
        hint: language
      });
    }).then(function (data) {
      statusLine.textContent = "";
      if (data.deleted) { forgetConversation(); }
      // A language chosen in words or from Puente's menu replaces one chosen in the picker.
      if (stored(KEY_LANGUAGE)) { store(KEY_LANGUAGE, data.language); }
      return switchLanguage(data.language).then(function () {
        data.messages.forEach(function (m) { addMessage("bot", m.text, m.buttons); });
        if (data.handoff) { store(KEY_WATCH, "1"); }
        if (data.relayed) { statusLine.textContent = strings.sent_to_person; }
      });
    }).catch(function (data) {
      statusLine.textContent = (data && data.message) || strings.error_network;
    }).then(function () { busy = false; });
  }

  function deleteConversation() {
    // One confirmation, then the server erases everything; the screen is cleared either way.
    deleteDialog.close();
    var id = stored(KEY_CONVERSATION);
    busy = true;
    var erased = id ? post("/api/chat/delete", { conversation_id: id, hint: language }) :
      Promise.resolve({ messages: [] });  // nothing was written: nothing is kept
    erased.then(function (data) {
      forgetConversation();
      data.messages.forEach(function (m) { addMessage("bot", m.text, m.buttons); });
      statusLine.textContent = "";
    }).catch(function (data) {
      statusLine.textContent = (data && data.messages && data.messages[0] && data.messages[0].text) ||
        strings.delete_failed;
    }).then(function () { busy = false; });
  }

  deleteButton.addEventListener("click", function () { deleteDialog.showModal(); });
  document.getElementById("delete-yes").addEventListener("click", deleteConversation);
  document.getElementById("delete-no").addEventListener("click", function () { deleteDialog.close(); });
  exitButton.addEventListener("click", quickExit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { quickExit(); }
  });
  picker.addEventListener("change", function () {
    store(KEY_LANGUAGE, picker.value);
    switchLanguage(picker.value);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) { statusLine.textContent = strings.error_empty; return; }
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  setInterval(fetchUpdates, UPDATE_EVERY_MS);
  var chosen = stored(KEY_LANGUAGE);
  if (chosen && chosen !== language) { switchLanguage(chosen); }
})();
