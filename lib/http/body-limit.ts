/**
 * Request bodies are capped before anything parses them, for every route and every caller
 * (signed in or not): a stranger must not make the dashboard hold megabytes per request. The
 * JSON the API takes is small — 500 claims with their shown identity fit well inside 64 KB.
 */
import { HttpError } from "./errors";

export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = (max: number) => new HttpError(413, "payload_too_large", `the request body is larger than ${max / 1024} KB`);

/**
 * `req` with its body read into memory, or a 413 as soon as the body is longer than `max` bytes
 * (by Content-Length before reading anything, or while reading a body of unknown length).
 */
export async function withCappedBody(req: Request, max = MAX_BODY_BYTES): Promise<Request> {
  if (req.body === null) return req;
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > max) throw tooLarge(max);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  return new Request(req, { body: Buffer.concat(chunks) });
}
