// Displaying phone numbers: "5215512345678" → "+52 1 55 1234 5678"-like groups. Only for display;
// the server owns parsing and equivalences.
export function displayPhone(digits: string): string {
  const d = digits.replace(/\D/g, '');
  if (!d) return digits;
  if (d.startsWith('521') && d.length === 13) return `+52 1 ${d.slice(3, 5)} ${d.slice(5, 9)} ${d.slice(9)}`;
  if (d.startsWith('52') && d.length === 12) return `+52 ${d.slice(2, 4)} ${d.slice(4, 8)} ${d.slice(8)}`;
  if (d.startsWith('549') && d.length === 13) return `+54 9 ${d.slice(3, 5)} ${d.slice(5, 9)} ${d.slice(9)}`;
  if (d.startsWith('55') && d.length === 13) return `+55 ${d.slice(2, 4)} ${d.slice(4, 9)} ${d.slice(9)}`;
  if (d.startsWith('1') && d.length === 11) return `+1 ${d.slice(1, 4)} ${d.slice(4, 7)} ${d.slice(7)}`;
  // Generic: country code, then groups of four from the end.
  const groups: string[] = [];
  let rest = d.slice(2);
  while (rest.length > 4) {
    groups.unshift(rest.slice(-4));
    rest = rest.slice(0, -4);
  }
  if (rest) groups.unshift(rest);
  return `+${d.slice(0, 2)} ${groups.join(' ')}`;
}
