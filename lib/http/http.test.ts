import { describe, expect, it } from "vitest";
import { z } from "zod";
import { badRequest } from "./errors";
import { parseBody, parseQuery } from "./parse";
import { handle, toHttpError } from "./route";
import { apiRequest } from "../../test/support/http";

describe("errors", () => {
  it("maps zod, unique-key, deadlock and unreachable errors by code; hides anything else", async () => {
    const zod = z.object({ n: z.number() }).safeParse({ n: "x" });
    expect(toHttpError(zod.error)).toMatchObject({ status: 400, code: "bad_request" });
    expect(toHttpError(Object.assign(new Error("dup"), { code: "P2002" }))).toMatchObject({ status: 409, code: "conflict" });
    expect(toHttpError(Object.assign(new Error("dup"), { errno: 1062 }))).toMatchObject({ status: 409 });
    expect(toHttpError(Object.assign(new Error("deadlock"), { errno: 1213 }))).toMatchObject({ status: 409 });
    expect(toHttpError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toMatchObject({ status: 503, code: "unavailable" });
    const internal = toHttpError(new TypeError("cannot read properties of undefined (reading 'x') at /srv/app.ts:12"));
    expect(internal).toMatchObject({ status: 500, code: "internal" });
    expect(internal.message).not.toContain("undefined");
  });

  it("handle() answers every failure in the one shape", async () => {
    const res = await handle(async () => {
      throw badRequest("nope", { field: "x" });
    })(apiRequest("/x"), {});
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: "nope", code: "bad_request", status: 400, details: { field: "x" } } });
  });

  it("maps Prisma's pool timeout (database down) to 503", () => {
    // The shape Prisma 7 + adapter-mariadb throws when MariaDB refuses connections.
    const err = Object.assign(new Error("Database error. Code: `45028`. Message: `pool timeout: failed to retrieve a connection from pool after 10000ms`"), {
      code: "P2039",
      meta: { driverAdapterError: { cause: { code: 45028, cause: "connect ECONNREFUSED 127.0.0.1:1" } } },
    });
    expect(toHttpError(err)).toMatchObject({ status: 503, code: "unavailable" });
  });
});

describe("parsing", () => {
  const schema = z.object({ reason: z.string().min(3), n: z.coerce.number().int().default(1) });

  it("names the failing field in the message", async () => {
    const err = await parseBody(apiRequest("/x", { body: { reason: "a" } }), schema).catch((e: unknown) => e);
    expect(toHttpError(err)).toMatchObject({ status: 400 });
    expect(toHttpError(err).message).toMatch(/^reason: /);
  });

  it("requires a JSON content type (a cross-site form cannot send one)", async () => {
    const req = apiRequest("/x", { body: "reason=abc", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(toHttpError(await parseBody(req, schema).catch((e: unknown) => e)).message).toContain("application/json");
  });

  it("coerces query strings", () => {
    expect(parseQuery(apiRequest("/x?reason=abcd&n=7"), schema)).toEqual({ reason: "abcd", n: 7 });
  });
});
