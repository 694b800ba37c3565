import { describe, expect, it } from "vitest";
import { displayKey, extractKey, hashPayload, keyDelivery, MAX_KEY_BYTES } from "../src/claim/key";
import { delivery } from "../../../test/support/deliveries";

describe("extractKey", () => {
  it("takes the first non-empty message key before keyOf and msgId", () => {
    const d = delivery({ keys: ["", "order-7", "x"], msgId: "M1" });
    expect(extractKey(d, () => "custom")).toEqual({ key: Buffer.from("order-7"), source: "key" });
  });

  it("falls back to keyOf, then to the msgId", () => {
    const d = delivery({ keys: [], msgId: "M2", body: Buffer.from('{"orderId":"o-9"}') });
    const keyOf = (m: typeof d) => JSON.parse(m.body.toString()).orderId as string;
    expect(extractKey(d, keyOf)).toEqual({ key: Buffer.from("o-9"), source: "custom" });
    expect(extractKey(d, () => undefined)).toEqual({ key: Buffer.from("M2"), source: "msgId" });
    expect(extractKey(d)).toEqual({ key: Buffer.from("M2"), source: "msgId" });
  });

  it("keeps keys byte-exact: case and trailing spaces make different keys", () => {
    const a = extractKey(delivery({ key: "Order-1" })).key;
    const b = extractKey(delivery({ key: "order-1 " })).key;
    expect(a.equals(b)).toBe(false);
    expect(b.toString()).toBe("order-1 ");
  });

  it("hashes keys longer than the column to a stable sha256:<hex>", () => {
    const long = "k".repeat(MAX_KEY_BYTES + 1);
    const k1 = extractKey(delivery({ key: long })).key.toString();
    const k2 = extractKey(delivery({ key: long })).key.toString();
    expect(k1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(k1).toBe(k2);
    // Exactly at the limit stays verbatim (multi-byte characters counted in bytes).
    const edge = "é".repeat(MAX_KEY_BYTES / 2);
    expect(extractKey(delivery({ key: edge })).key.toString()).toBe(edge);
    expect(extractKey(delivery({ key: edge + "a" })).key.toString()).toMatch(/^sha256:/);
  });
});

describe("payload hash and display", () => {
  it("is the 32-byte sha256 of the body", () => {
    const h = hashPayload(Buffer.from("abc"));
    expect(h.length).toBe(32);
    expect(h.toString("hex")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(keyDelivery(delivery({ key: "a", body: Buffer.from("abc") })).payloadHash.equals(h)).toBe(true);
  });

  it("shows UTF-8 keys as text and other bytes as base64", () => {
    expect(displayKey(Buffer.from("ok-1"))).toBe("ok-1");
    expect(displayKey(Buffer.from([0xff, 0x00]))).toBe("base64:/wA=");
  });
});
