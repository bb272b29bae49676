// Dates and times as people read them in a chat, in the browser's time zone: "hace 5 min",
// "10:02", day separators "Hoy" / "Ayer" / "lunes 3 de noviembre". Pure: `now` is passed in.
import type { Locale } from './catalogue';
import { translate } from './translate';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Whole calendar days between two instants in the local zone (DST-safe). */
export function calendarDaysBetween(earlier: Date, later: Date): number {
  return Math.round((startOfDay(later) - startOfDay(earlier)) / DAY);
}

/** "ahora", "hace 5 min", "hace 3 h", then "Ayer", then a short date, for list rows. */
export function relativeTime(locale: Locale, at: Date, now: Date): string {
  const diff = now.getTime() - at.getTime();
  if (diff < MINUTE) return translate(locale, 'time.now');
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
  if (diff < HOUR) return rtf.format(-Math.floor(diff / MINUTE), 'minute');
  const days = calendarDaysBetween(at, now);
  if (days === 0) return rtf.format(-Math.floor(diff / HOUR), 'hour');
  if (days === 1) return translate(locale, 'time.yesterday');
  if (days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'long' }).format(at);
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: days > 300 ? 'numeric' : undefined }).format(at);
}

/** "hace 1 h" / "in 3 h" for how long ago something ended or how long is left. */
export function relativeSpan(locale: Locale, deltaMs: number): string {
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'always' });
  const abs = Math.abs(deltaMs);
  const sign = deltaMs < 0 ? -1 : 1;
  if (abs < HOUR) return rtf.format(sign * Math.max(1, Math.round(abs / MINUTE)), 'minute');
  if (abs < DAY) return rtf.format(sign * Math.round(abs / HOUR), 'hour');
  return rtf.format(sign * Math.round(abs / DAY), 'day');
}

/** A duration left, "23 h 10 min" / "5 min" / "2 d 4 h". */
export function durationLeft(locale: Locale, ms: number): string {
  const unit = (value: number, u: 'day' | 'hour' | 'minute') =>
    new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'narrow' }).format(value);
  const total = Math.max(0, Math.floor(ms / MINUTE));
  const days = Math.floor(total / (24 * 60));
  const hours = Math.floor((total % (24 * 60)) / 60);
  const minutes = total % 60;
  if (days > 0) return `${unit(days, 'day')} ${unit(hours, 'hour')}`;
  if (hours > 0) return `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
  return unit(Math.max(1, minutes), 'minute');
}

/** The label of the separator above the first message of a day. */
export function dayLabel(locale: Locale, at: Date, now: Date): string {
  const days = calendarDaysBetween(at, now);
  if (days === 0) return translate(locale, 'time.today');
  if (days === 1) return translate(locale, 'time.yesterday');
  const sameYear = at.getFullYear() === now.getFullYear();
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: sameYear ? undefined : 'numeric',
  }).format(at);
}

/** "10:02" in the user's zone. */
export function clockTime(locale: Locale, at: Date): string {
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(at);
}

/** "1:05" for audio durations. */
export function mediaDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "30 nov 2026, 10:02": a full date and time, for logs and admin screens. */
export function dateTime(locale: Locale, at: Date): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}
