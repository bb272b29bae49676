// "Now", ticking every 30 s, so relative times ("hace 5 min") and window banners stay current.
// The Date is replaced every tick, never mutated, so a plain Date is right here.
// eslint-disable-next-line svelte/prefer-svelte-reactivity
export const now = $state({ value: new Date() });

if (typeof window !== 'undefined') {
  setInterval(() => (now.value = new Date()), 30_000);
}
