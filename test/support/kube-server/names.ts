/** Generated names and uids, in the shapes the API server and controllers produce. */

/** apimachinery `util/rand` alphabet: no vowels (no words), no 0/1/3 (no confusion with o/l/e). */
const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5 random characters `generateName` appends. */
export function randomSuffix(random: () => number): string {
  return Array.from({ length: 5 }, () => alphanums.charAt(Math.floor(random() * alphanums.length))).join('');
}

/** A version 4 UUID drawn from `random`. */
export function randomUid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = '4';
  hex[16] = (8 + Math.floor(random() * 4)).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/** `rand.SafeEncodeString`: maps each byte onto the alphabet (how pod-template-hash values look). */
export function safeEncodeString(text: string): string {
  let encoded = '';
  for (let i = 0; i < text.length; i++) encoded += alphanums.charAt(text.charCodeAt(i) % alphanums.length);
  return encoded;
}
