// Runs static/live.js against a fake browser (window, document, WebSocket, htmx) and prints,
// as JSON, what it did for the socket messages given on the command line.
"use strict";
const fs = require("fs");
const vm = require("vm");

const [scriptPath, messagesJson] = process.argv.slice(2);
const messages = JSON.parse(messagesJson);

const sockets = [];
const triggered = [];
const timers = [];
const progressText = { textContent: "" };
const bar = {
  dataset: { importId: "11111111-1111-1111-1111-111111111111" },
  max: 1,
  value: 0,
  parentElement: { querySelector: () => progressText },
};

class FakeSocket {
  constructor(url) {
    this.url = url;
    this.listeners = {};
    sockets.push(this);
  }
  addEventListener(name, listener) {
    (this.listeners[name] = this.listeners[name] || []).push(listener);
  }
  emit(name, event) {
    (this.listeners[name] || []).forEach((listener) => listener(event));
  }
}

const document = {
  readyState: "complete",
  body: {},
  querySelectorAll: (selector) => (selector === "progress.import-progress" ? [bar] : []),
  addEventListener: () => {},
};
const window = {
  location: { protocol: "https:", host: "tradeloop.example" },
  htmx: { trigger: (target, name) => triggered.push({ body: target === document.body, name }) },
  setTimeout: (callback, delay) => timers.push({ callback, delay }),
};

vm.runInNewContext(fs.readFileSync(scriptPath, "utf8"), {
  window,
  document,
  WebSocket: FakeSocket,
  CustomEvent: class {},
  Math,
  JSON,
  String,
  encodeURIComponent,
});

const first = sockets[0];
first.emit("open", {});
for (const message of messages) {
  first.emit("message", { data: JSON.stringify(message) });
}
first.emit("close", { code: 1006 });
const reconnectScheduled = timers.length;
timers.forEach((timer) => timer.callback());

process.stdout.write(
  JSON.stringify({
    urls: sockets.map((socket) => socket.url),
    triggered,
    reconnectScheduled,
    progress: { max: bar.max, value: bar.value, text: progressText.textContent },
  }),
);
