/**
 * Reads a webhook delivery's body as raw bytes, refusing it before it costs memory: a declared
 * `content-length` over the cap is refused without reading, a stream that passes the cap is cut,
 * and the HMAC (`x-hub-signature-256`, HMAC-SHA256 of the raw body with the webhook secret:
 * https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries) is computed on
 * the bytes as they arrive. Nothing is decoded or parsed until the signature matches.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type BodyVerdict =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly status: 400 | 401 | 413; readonly message: string };

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/** Resolves once the body is read (or refused); never rejects. */
export function readSignedBody(req: IncomingMessage, secret: string, maxBytes: number): Promise<BodyVerdict> {
  const tooLarge: BodyVerdict = {
    ok: false,
    status: 413,
    message: `The payload is over GitHub's cap of ${maxBytes} bytes: refused unread.`,
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve(tooLarge);
  const header = req.headers['x-hub-signature-256'];
  const signature = typeof header === 'string' ? SIGNATURE.exec(header.trim())?.[1] : undefined;
  if (signature === undefined)
    return Promise.resolve({
      ok: false,
      status: 400,
      message: 'x-hub-signature-256 is missing or not of the form sha256=<64 hex digits>.',
    });

  return new Promise((resolve) => {
    const hmac = createHmac('sha256', secret);
    const chunks: Buffer[] = [];
    let received = 0;
    let done = false;
    const finish = (verdict: BodyVerdict): void => {
      if (done) return;
      done = true;
      req.removeAllListeners('data');
      resolve(verdict);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > maxBytes) {
        chunks.length = 0;
        // Stop reading; the caller answers 413 and closes the connection.
        req.pause();
        finish(tooLarge);
        return;
      }
      hmac.update(chunk);
      chunks.push(chunk);
    });
    req.on('error', () => {
      finish({ ok: false, status: 400, message: 'The request body could not be read.' });
    });
    req.on('end', () => {
      const expected = hmac.digest();
      const given = Buffer.from(signature, 'hex');
      if (!timingSafeEqual(expected, given)) {
        finish({
          ok: false,
          status: 401,
          message: 'The signature does not match the payload and the webhook secret.',
        });
        return;
      }
      finish({
        ok: true,
        body: chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks),
      });
    });
  });
}
