/* The console's live view: new messages appear in the open conversation, the queue refreshes.
   Polling (every few seconds) rather than server-sent events: it works the same behind any proxy
   and with any number of web workers. Text is always set with textContent, never as HTML. */
(function () {
  "use strict";
  var POLL_MS = 3000;

  function getJSON(url, done) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { done(data); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function span(cls, text, label) {
    var el = document.createElement("span");
    el.className = cls;
    if (label) {
      var em = document.createElement("em");
      em.textContent = label + ":";
      el.appendChild(em);
      el.appendChild(document.createTextNode(" " + text));
    } else {
      el.textContent = text;
    }
    return el;
  }

  function watchHistory(list) {
    var next = parseInt(list.dataset.next, 10) || 0;
    var status = document.getElementById("ticket-status");
    function label(from) { return list.dataset["label" + from.charAt(0).toUpperCase() + from.slice(1)] || from; }
    function poll() {
      getJSON(list.dataset.source + "?after=" + next, function (data) {
        data.messages.forEach(function (line) {
          var item = document.createElement("li");
          item.className = "line " + line.from;
          item.dataset.number = line.number;
          item.appendChild(span("who", label(line.from) + (line.by ? " · " + line.by : "") + " · " + line.time));
          item.appendChild(span("text", line.text));
          if (line.state) { item.appendChild(span("state", "(" + line.state + ")")); }
          if (line.translation) { item.appendChild(span("translation", line.translation, list.dataset.labelTranslation)); }
          if (line.original) { item.appendChild(span("original", line.original, list.dataset.labelOriginal)); }
          list.appendChild(item);
        });
        next = data.next;
        if (status && status.dataset.status && status.dataset.status !== data.status) { window.location.reload(); }
      });
    }
    if (status) { status.dataset.status = status.dataset.initial || ""; }
    window.setInterval(poll, POLL_MS);
  }

  function watchQueue(section) {
    function ids() {
      return Array.prototype.map.call(section.querySelectorAll("tr[data-ticket]"), function (r) {
        return r.closest("table").id + ":" + r.dataset.ticket;
      }).join(",");
    }
    var shown = ids();
    window.setInterval(function () {
      getJSON(section.dataset.source, function (data) {
        var now = [];
        data.waiting.forEach(function (r) { now.push("waiting:" + r.id); });
        data.held.forEach(function (r) { now.push("held:" + r.id); });
        if (now.join(",") !== shown) { window.location.reload(); }
      });
    }, POLL_MS);
  }

  var history = document.getElementById("history");
  if (history) { watchHistory(history); }
  var queue = document.getElementById("queue-live");
  if (queue) { watchQueue(queue); }
})();
