"use strict";
/*
 * The test bed's probe agent. The bed starts one per network namespace it
 * probes from (`nsenter --net=<ns> node agent.js`), since a Node process
 * cannot enter a namespace itself. It reads one JSON request a line on stdin
 * and answers one JSON line on stdout with the same `id`.
 *
 *   {id, op: "scan", host, ports: [..], timeoutMs}       -> {open: [..]}
 *   {id, op: "http", request}                            -> {status, headers, body, ms} or {error}
 *   {id, op: "loopStart", loop, request, pauseMs}        -> {}       (requests one after another)
 *   {id, op: "loopStop", loop}                           -> {records: [{start, end, status, body, error}]}
 *
 * request: {url, method, headers, body, ca, servername, connectTo, timeoutMs}
 * (`connectTo` is the address to dial; the URL's host goes in SNI and Host).
 * Only Node's standard library, so that it runs from any namespace.
 */
const net = require("node:net");
const http = require("node:http");
const https = require("node:https");
const readline = require("node:readline");

function scanOne(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function scan({ host, ports, timeoutMs = 1000, concurrency = 400 }) {
  const open = [];
  let next = 0;
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++];
      if (await scanOne(host, port, timeoutMs)) open.push(port);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { open: open.sort((a, b) => a - b) };
}

function request(r) {
  const started = Date.now();
  return new Promise((resolve) => {
    const url = new URL(r.url);
    const lib = url.protocol === "https:" ? https : http;
    const req = lib.request(
      {
        host: r.connectTo || url.hostname,
        port: url.port || (url.protocol === "https:" ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        method: r.method || "GET",
        headers: { host: url.host, ...(r.headers || {}) },
        servername: url.hostname,
        ca: r.ca,
        agent: false,
        timeout: r.timeoutMs || 10000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            ms: Date.now() - started,
            start: started,
            end: Date.now(),
          }),
        );
        res.on("error", (e) =>
          resolve({ error: String(e.message || e), ms: Date.now() - started, start: started, end: Date.now() }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) =>
      resolve({ error: String(e.message || e), ms: Date.now() - started, start: started, end: Date.now() }),
    );
    req.end(r.body || undefined);
  });
}

const loops = new Map();

function loopStart({ loop, request: r, pauseMs = 0 }) {
  const state = { running: true, records: [] };
  state.done = (async () => {
    while (state.running) {
      state.records.push(await request(r));
      if (pauseMs) await new Promise((res) => setTimeout(res, pauseMs));
    }
  })();
  loops.set(loop, state);
  return {};
}

async function loopStop({ loop }) {
  const state = loops.get(loop);
  if (!state) return { error: `no loop ${loop}` };
  state.running = false;
  await state.done;
  loops.delete(loop);
  return { records: state.records };
}

const ops = { scan, http: (m) => request(m.request), loopStart, loopStop };

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  let message;
  try {
    message = JSON.parse(line);
    const answer = await ops[message.op](message);
    process.stdout.write(`${JSON.stringify({ id: message.id, ...answer })}\n`);
  } catch (error) {
    process.stdout.write(
      `${JSON.stringify({ id: message && message.id, error: String((error && error.message) || error) })}\n`,
    );
  }
});
process.stdin.on("end", () => process.exit(0));
