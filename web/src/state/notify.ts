// Desktop notifications and a short sound for new customer messages in the user's own conversations,
// opt-in (the browser asks for permission when the user turns them on).
const KEY = 'inbox.notifications';

export function notificationsWanted(): boolean {
  return localStorage.getItem(KEY) === 'on' && 'Notification' in window && Notification.permission === 'granted';
}

export async function setNotifications(on: boolean): Promise<boolean> {
  if (!on) {
    localStorage.setItem(KEY, 'off');
    return false;
  }
  if (!('Notification' in window)) return false;
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  localStorage.setItem(KEY, permission === 'granted' ? 'on' : 'off');
  return permission === 'granted';
}

/** A soft two-tone chime made with Web Audio (no sound file to fetch). */
export function chime(): void {
  try {
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.15, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.45);
    gain.connect(ctx.destination);
    for (const [freq, at] of [[880, 0], [1320, 0.12]] as const) {
      const osc = ctx.createOscillator();
      osc.frequency.value = freq;
      osc.connect(gain);
      osc.start(ctx.currentTime + at);
      osc.stop(ctx.currentTime + at + 0.3);
    }
    setTimeout(() => void ctx.close(), 800);
  } catch {
    // No audio output: the notification alone will do.
  }
}

export function notify(title: string, body: string, onClick: () => void): void {
  if (!notificationsWanted()) return;
  const n = new Notification(title, { body, tag: title });
  n.onclick = () => {
    window.focus();
    onClick();
    n.close();
  };
  chime();
}
