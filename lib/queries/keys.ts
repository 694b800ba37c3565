/**
 * Dedup keys are VARBINARY: shown as UTF-8 text (React escapes it), with hex alongside for keys
 * that are not valid UTF-8; searched as the UTF-8 bytes of what the operator typed, or as hex.
 */
const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

export interface KeyView {
  /** UTF-8 text (invalid bytes shown as U+FFFD). */
  key: string;
  keyHex: string;
  /** False when the bytes are not valid UTF-8, so `key` is only an approximation. */
  keyIsText: boolean;
}

export function viewKey(bytes: Uint8Array): KeyView {
  const keyHex = Buffer.from(bytes).toString("hex");
  try {
    return { key: strict.decode(bytes), keyHex, keyIsText: true };
  } catch {
    return { key: lenient.decode(bytes), keyHex, keyIsText: false };
  }
}

export function keyFromText(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(text, "utf8"));
}

export function keyFromHex(hex: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(hex, "hex"));
}
