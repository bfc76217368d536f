/**
 * The `pod-template-hash` label value (`controller.ComputeHash`): FNV-32a over the pod template
 * plus the Deployment's collisionCount, printed in decimal and safe-encoded. The real controller
 * hashes Go's spew dump of the struct; this hashes canonical JSON, so values differ from a real
 * cluster's while keeping their shape and their stability.
 */
import { canonicalJson } from './json-value.ts';
import { safeEncodeString } from './names.ts';

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let hash = seed;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function computePodTemplateHash(template: unknown, collisionCount: number | undefined): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}
