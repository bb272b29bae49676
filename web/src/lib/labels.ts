// Label chips: their colour comes from the account's label (`#rrggbb`); the text on it is dark or
// light, whichever reads better (WCAG relative luminance).

export function chipTextColor(background: string): string {
  const hex = /^#([0-9a-f]{6})$/i.exec(background)?.[1];
  if (!hex) return '#1f2933';
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  // The background's contrast with black beats its contrast with white above this luminance.
  return luminance > 0.179 ? '#1f2933' : '#ffffff';
}

/** The colours offered when creating a label. */
export const LABEL_COLORS: readonly string[] = ['#e11d48', '#f97316', '#eab308', '#16a34a', '#0d9488', '#2563eb', '#7c3aed', '#64748b'];
