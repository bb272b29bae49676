// "Now", ticking every 30 s, so relative times ("hace 5 min") and window banners stay current.
export const now = $state({ value: new Date() });

if (typeof window !== 'undefined') {
  setInterval(() => (now.value = new Date()), 30_000);
}
