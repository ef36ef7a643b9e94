// Development phone simulator: plain JavaScript, no third-party code. Text is always inserted as
// text, never HTML: replies come from content files and senders, and both must stay inert.
(function () {
  "use strict";

  var NUMBER = /^\+[1-9][0-9]{6,14}$/;
  var channel = document.getElementById("channel");
  var fromInput = document.getElementById("from");
  var addressLabel = document.getElementById("address");
  var newNumber = document.getElementById("new-number");
  var thread = document.getElementById("thread");
  var statusLine = document.getElementById("status");
  var composer = document.getElementById("composer");
  var bodyInput = document.getElementById("body");
  var photoButton = document.getElementById("photo");
  var outboxList = document.getElementById("outbox");
  var outboxEmpty = document.getElementById("outbox-empty");
  var refreshButton = document.getElementById("refresh-outbox");
  var busy = false;

  function randomNumber() {
    // 555 numbers are reserved for fiction and tests: a simulator must never text a real person.
    var digits = new Uint32Array(7);
    window.crypto.getRandomValues(digits);
    return "+1555" + Array.prototype.map.call(digits, function (d) { return d % 10; }).join("");
  }

  function address() {
    var number = fromInput.value.trim();
    return (channel.value === "whatsapp" ? "whatsapp:" : "") + number;
  }

  function showAddress() {
    addressLabel.textContent = address();
  }

  function startConversation(number) {
    fromInput.value = number;
    thread.textContent = "";
    statusLine.textContent = "";
    showOutbox([]);
    showAddress();
  }

  function addBubble(who, text, note) {
    var item = document.createElement("li");
    item.className = "msg " + who;
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who === "user" ? "You" : "Puente";
    item.appendChild(label);
    if (note) {
      var extra = document.createElement("span");
      extra.className = "note";
      extra.textContent = note;
      item.appendChild(extra);
    }
    if (text) {
      var body = document.createElement("span");
      body.className = "text";
      body.textContent = text;
      item.appendChild(body);
    }
    thread.appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function showOutbox(entries) {
    outboxList.textContent = "";
    entries.forEach(function (entry) {
      var item = document.createElement("li");
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = new Date(entry.at * 1000).toLocaleString() + " · " + entry.channel;
      var body = document.createElement("span");
      body.className = "text";
      body.textContent = entry.body;
      item.appendChild(when);
      item.appendChild(body);
      outboxList.appendChild(item);
    });
    outboxEmpty.hidden = entries.length > 0;
  }

  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return r.ok ? data : Promise.reject(data);
      });
    });
  }

  function validNumber() {
    if (NUMBER.test(fromInput.value.trim())) {
      fromInput.removeAttribute("aria-invalid");
      return true;
    }
    fromInput.setAttribute("aria-invalid", "true");
    statusLine.textContent = "The From number must look like +15551234567.";
    fromInput.focus();
    return false;
  }

  function send(text, media) {
    if (busy || !validNumber()) { return; }
    if (!media && !text.trim()) { statusLine.textContent = "Write a message first."; return; }
    busy = true;
    addBubble("user", text, media ? "[photo attached]" : "");
    statusLine.textContent = "Sending…";
    post("/dev/phone/send", { from: address(), body: text, media: media }).then(function (data) {
      if (data.status !== 200) {
        statusLine.textContent = "The SMS endpoint answered " + data.status + ": " + data.twiml;
      } else if (!data.messages.length) {
        statusLine.textContent = "Puente sent no reply to that text.";
      } else {
        statusLine.textContent = "";
      }
      data.messages.forEach(function (message) { addBubble("bot", message, ""); });
      showOutbox(data.outbox || []);
    }).catch(function (data) {
      statusLine.textContent = (data && data.error) || "The simulator did not answer.";
    }).then(function () { busy = false; });
  }

  function refreshOutbox() {
    if (!validNumber()) { return; }
    post("/dev/phone/outbox", { from: address() }).then(function (data) {
      showOutbox(data.outbox || []);
    }).catch(function (data) {
      statusLine.textContent = (data && data.error) || "The simulator did not answer.";
    });
  }

  channel.addEventListener("change", showAddress);
  fromInput.addEventListener("input", showAddress);
  newNumber.addEventListener("click", function () { startConversation(randomNumber()); });
  document.getElementById("sender").addEventListener("submit", function (event) {
    event.preventDefault();
    bodyInput.focus();
  });
  composer.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = bodyInput.value;
    if (!text.trim()) { statusLine.textContent = "Write a message first."; return; }
    bodyInput.value = "";
    send(text, false);
  });
  bodyInput.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); composer.requestSubmit(); }
  });
  photoButton.addEventListener("click", function () { send("", true); });
  refreshButton.addEventListener("click", refreshOutbox);
  startConversation(randomNumber());
})();
