// Live updates: listens to edge's WebSocket and turns each event into a DOM event that
// HTMX elements refresh on (hx-trigger="tl-import from:body", "tl-positions from:body").
(function () {
  "use strict";

  var lastPosition = null;
  var retryDelay = 1000;
  var MAX_RETRY_DELAY = 30000;

  function fire(name, detail) {
    if (window.htmx) {
      window.htmx.trigger(document.body, name, detail);
    } else {
      document.body.dispatchEvent(new CustomEvent(name, { detail: detail }));
    }
  }

  function showProgress(data) {
    var bars = document.querySelectorAll("progress.import-progress");
    bars.forEach(function (bar) {
      if (bar.dataset.importId !== data.import_id) {
        return;
      }
      if (typeof data.rows_total === "number" && data.rows_total > 0) {
        bar.max = data.rows_total;
        bar.value = Math.min(data.rows_processed, data.rows_total);
      }
      var text = bar.parentElement.querySelector(".progress-text");
      if (text) {
        text.textContent = data.rows_processed +
          (typeof data.rows_total === "number" ? " of " + data.rows_total : "") + " rows";
      }
    });
  }

  function handle(message) {
    var event;
    try {
      event = JSON.parse(message.data);
    } catch (error) {
      return;
    }
    if (!event || typeof event.type !== "string") {
      return;
    }
    if (event.position !== undefined && event.position !== null) {
      lastPosition = event.position;
    }
    // edge wraps the envelope as {type: "event", position, event}; heartbeats carry none.
    if (event.event && typeof event.event.type === "string") {
      event = event.event;
    }
    var data = event.data || {};
    if (event.type.indexOf("import.") === 0) {
      if (event.type.indexOf("import.progressed.") === 0) {
        showProgress(data);
      }
      fire("tl-import", data);
      if (event.type.indexOf("import.completed.") === 0 || event.type.indexOf("import.failed.") === 0) {
        fire("tl-import-done", data);
      }
    } else if (event.type.indexOf("position.closed.") === 0) {
      fire("tl-positions", data);
    } else if (event.type.indexOf("plan.updated.") === 0) {
      fire("tl-plan", data);
    } else if (event.type.indexOf("rule.violated.") === 0) {
      fire("tl-rules", data);
    } else if (event.type.indexOf("broker_connection.synced.") === 0) {
      fire("tl-brokers", data);
    } else if (event.type.indexOf("coach.") === 0) {
      fire("tl-insights", data);
      if (event.type.indexOf("coach.review_ready.") === 0) {
        fire("tl-reviews", data);
      }
    }
  }

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    var url = scheme + "//" + window.location.host + "/ws";
    if (lastPosition !== null) {
      url += "?after=" + encodeURIComponent(String(lastPosition));
    }
    return url;
  }

  function connect() {
    var socket = new WebSocket(socketUrl());
    socket.addEventListener("open", function () {
      retryDelay = 1000;
    });
    socket.addEventListener("message", handle);
    socket.addEventListener("close", function (closed) {
      // 1008: the session ended; the next page load goes to the log-in page.
      if (closed.code === 1008) {
        return;
      }
      var delay = retryDelay * (0.5 + Math.random() / 2);
      retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY);
      window.setTimeout(connect, delay);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", connect);
  } else {
    connect();
  }
})();
