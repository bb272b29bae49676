// The events socket (`/api/v1/events`): reconnects by itself with backoff, and tells the app to
// reload what it shows after a reconnect or a `resync` (the server keeps no replay).
import type { RealtimeEvent } from '../api/types';

export interface RealtimeHandlers {
  onEvent: (event: RealtimeEvent) => void;
  /** Called on every connect after the first, and on `resync`: reload what is shown. */
  onResync: () => void;
  onStatus: (connected: boolean) => void;
  /** The server closed the socket because the user's access ended (deactivated, signed out). */
  onAccessEnded: () => void;
}

/** The close code the server uses when the user's access ended (crates/server/src/realtime.rs). */
const ACCESS_ENDED = 4001;

export function connectRealtime(handlers: RealtimeHandlers): () => void {
  let socket: WebSocket | null = null;
  let stopped = false;
  let attempts = 0;
  let everConnected = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/v1/events`);
    socket.onmessage = (msg) => {
      let event: RealtimeEvent;
      try {
        event = JSON.parse(String(msg.data)) as RealtimeEvent;
      } catch {
        return;
      }
      if (event.type === 'hello') {
        attempts = 0;
        handlers.onStatus(true);
        if (everConnected) handlers.onResync();
        everConnected = true;
      } else if (event.type === 'resync') handlers.onResync();
      else handlers.onEvent(event);
    };
    socket.onclose = (e) => {
      handlers.onStatus(false);
      if (stopped) return;
      if (e.code === ACCESS_ENDED) {
        handlers.onAccessEnded();
        return;
      }
      // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so many tabs do not reconnect in step.
      const delay = Math.min(15_000, 500 * 2 ** attempts) * (0.75 + Math.random() * 0.5);
      attempts++;
      timer = setTimeout(open, delay);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket?.close();
  };
}
