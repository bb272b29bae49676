// Records real browser audio fixtures for the media crate's tests.
//
// Why: the WebM→Ogg remuxer must be proven on what browsers actually produce (Chrome's MediaRecorder
// writes WebM with unknown-size clusters and no cues), not on hand-made bytes. This script drives
// headless Chromium over the DevTools protocol: an OscillatorNode (440 Hz, then 660 Hz) feeds a
// MediaStreamAudioDestinationNode, MediaRecorder records it for a few seconds, and the blob comes
// back as base64. Each MIME type the browser supports among those we care about is saved.
//
// Usage: node --experimental-websocket crates/media/scripts/make-audio-fixtures.mjs [out-dir]
// (Node 22+ does not need the flag.) Needs Debian's `chromium` on PATH or in $CHROMIUM.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const outDir = process.argv[2] ?? new URL("../tests/fixtures/", import.meta.url).pathname;
const chromium = process.env.CHROMIUM ?? "chromium";
const profile = mkdtempSync(join(tmpdir(), "media-fixtures-"));

// What to record: file name, MediaRecorder MIME type, milliseconds, stereo or mono.
const RECORDINGS = [
  ["chrome-opus-mono.webm", "audio/webm;codecs=opus", 2500, 1],
  ["chrome-opus-stereo.webm", "audio/webm;codecs=opus", 1500, 2],
  // Chrome ≥ 126 records MP4 too; Debian's Chromium has no AAC encoder, so its MP4 carries Opus
  // (Safari's carries AAC: see make-sniff-fixtures.sh for an AAC stand-in made by ffmpeg).
  ["chrome-aac.mp4", "audio/mp4;codecs=mp4a.40.2", 1500, 1],
  ["chrome-opus.mp4", "audio/mp4;codecs=opus", 1500, 1],
];

const browser = spawn(chromium, [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--autoplay-policy=no-user-gesture-required",
  `--user-data-dir=${profile}`,
  "--remote-debugging-port=0",
  "about:blank",
], { stdio: ["ignore", "ignore", "pipe"] });

function devtoolsPort() {
  const file = join(profile, "DevToolsActivePort");
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (existsSync(file)) {
        const [port] = readFileSync(file, "utf8").split("\n");
        if (port) return resolve(port);
      }
      if (Date.now() - started > 20000) return reject(new Error("Chromium did not start"));
      setTimeout(poll, 100);
    };
    poll();
  });
}

// In the page: record `ms` of a tone with MediaRecorder and return the bytes as base64.
const RECORD = `async (mime, ms, channels) => {
  if (!MediaRecorder.isTypeSupported(mime)) return null;
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.resume();
  const dest = ctx.createMediaStreamDestination();
  dest.channelCount = channels;
  const osc = ctx.createOscillator();
  osc.frequency.value = 440;
  osc.frequency.setValueAtTime(660, ctx.currentTime + ms / 2000);
  const gain = ctx.createGain();
  gain.gain.value = 0.3;
  osc.connect(gain).connect(dest);
  osc.start();
  const rec = new MediaRecorder(dest.stream, { mimeType: mime, audioBitsPerSecond: 32000 });
  const chunks = [];
  rec.ondataavailable = (e) => chunks.push(e.data);
  const stopped = new Promise((r) => (rec.onstop = r));
  rec.start(500); // timeslices, as a real recorder UI streams chunks
  await new Promise((r) => setTimeout(r, ms));
  rec.stop();
  await stopped;
  osc.stop();
  await ctx.close();
  const buf = new Uint8Array(await new Blob(chunks, { type: mime }).arrayBuffer());
  let bin = "";
  for (const b of buf) bin += String.fromCharCode(b);
  return btoa(bin);
}`;

async function main() {
  const port = await devtoolsPort();
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = targets.find((t) => t.type === "page");
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((r) => ws.addEventListener("open", r, { once: true }));
  let nextId = 1;
  const pending = new Map();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(e.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  const call = (method, params) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });

  for (const [name, mime, ms, channels] of RECORDINGS) {
    const res = await call("Runtime.evaluate", {
      expression: `(${RECORD})(${JSON.stringify(mime)}, ${ms}, ${channels})`,
      awaitPromise: true,
      returnByValue: true,
    });
    if (res.result?.exceptionDetails) {
      console.error(`${name}: ${JSON.stringify(res.result.exceptionDetails)}`);
      continue;
    }
    const b64 = res.result?.result?.value;
    if (!b64) {
      console.error(`${name}: ${mime} not supported by this Chromium, skipped`);
      continue;
    }
    const bytes = Buffer.from(b64, "base64");
    writeFileSync(join(outDir, name), bytes);
    console.log(`${name}: ${bytes.length} bytes (${mime}, ${ms} ms, ${channels} ch)`);
  }
  ws.close();
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    browser.kill();
    browser.on("exit", () => rmSync(profile, { recursive: true, force: true }));
  });
