/**
 * TRUST_PROXY: only then do X-Forwarded-For / X-Real-IP name the client and X-Forwarded-Proto
 * make the session cookie Secure. Without it (the default) a client cannot pick its own address
 * to escape the login limit, nor matter for the cookie.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as loginRoute from "@/app/api/auth/login/route";
import { resetConfigForTests } from "../config";
import { apiRequest, paramsOf, useDashboardDatabase } from "../../test/support/http";
import { isSecureRequest } from "./cookies";
import { clientAddressOf, DIRECT } from "./login";
import { createUser } from "./users";

useDashboardDatabase();
const none = paramsOf({});

const req = (headers: Record<string, string>, url = "http://localhost/api/auth/login") => new Request(url, { headers });

function setTrustProxy(value: string | undefined): void {
  if (value === undefined) delete process.env.TRUST_PROXY;
  else process.env.TRUST_PROXY = value;
  resetConfigForTests();
}
afterEach(() => setTrustProxy(undefined));

const signIn = (email: string, password: string, headers: Record<string, string>) =>
  loginRoute.POST(apiRequest("/api/auth/login", { body: { email, password }, headers }), none);

describe("client address", () => {
  it("uses the proxy headers only when trusted", () => {
    const forwarded = req({ "x-forwarded-for": " 203.0.113.7 , 10.0.0.1", "x-real-ip": "198.51.100.2" });
    expect(clientAddressOf(forwarded, true)).toBe("203.0.113.7");
    expect(clientAddressOf(req({ "x-real-ip": " 198.51.100.2 " }), true)).toBe("198.51.100.2");
    expect(clientAddressOf(req({}), true)).toBe(DIRECT);
    expect(clientAddressOf(forwarded, false)).toBe(DIRECT);
    expect(clientAddressOf(req({ "x-real-ip": "198.51.100.2" }), false)).toBe(DIRECT);
  });

  it("defaults to untrusted (TRUST_PROXY unset) and follows TRUST_PROXY=true", () => {
    const forwarded = req({ "x-forwarded-for": "203.0.113.7" });
    setTrustProxy(undefined);
    expect(clientAddressOf(forwarded)).toBe(DIRECT);
    setTrustProxy("true");
    expect(clientAddressOf(forwarded)).toBe("203.0.113.7");
  });

  it("untrusted: a forged X-Forwarded-For does not buy a fresh login budget", async () => {
    await createUser({ email: "forge@example.com", password: "forge-password", role: "viewer" });
    for (let i = 0; i < 5; i++) expect((await signIn("forge@example.com", "wrong-password", { "x-forwarded-for": `203.0.113.${i}` })).status).toBe(401);
    expect((await signIn("forge@example.com", "forge-password", { "x-forwarded-for": "203.0.113.99" })).status).toBe(429);
  });

  it("trusted: each forwarded address has its own budget", async () => {
    setTrustProxy("true");
    await createUser({ email: "proxied@example.com", password: "proxied-password", role: "viewer" });
    for (let i = 0; i < 5; i++) expect((await signIn("proxied@example.com", "wrong-password", { "x-forwarded-for": "198.51.100.10" })).status).toBe(401);
    expect((await signIn("proxied@example.com", "proxied-password", { "x-forwarded-for": "198.51.100.10" })).status).toBe(429);
    expect((await signIn("proxied@example.com", "proxied-password", { "x-forwarded-for": "198.51.100.11" })).status).toBe(200);
  });
});

describe("Secure session cookie", () => {
  it("honours X-Forwarded-Proto only when trusted; https itself always", () => {
    const viaProxy = req({ "x-forwarded-proto": "https" });
    expect(isSecureRequest(viaProxy, true)).toBe(true);
    expect(isSecureRequest(viaProxy, false)).toBe(false);
    expect(isSecureRequest(req({}, "https://dash.example.com/api/auth/login"), false)).toBe(true);
    expect(isSecureRequest(req({ "x-forwarded-proto": "http" }), true)).toBe(false);
  });

  it("through the login route, for both settings", async () => {
    await createUser({ email: "cookie@example.com", password: "cookie-password", role: "viewer" });
    const cookieOf = async () => {
      const res = await signIn("cookie@example.com", "cookie-password", { "x-forwarded-proto": "https" });
      expect(res.status).toBe(200);
      return res.headers.get("set-cookie")!;
    };
    setTrustProxy(undefined);
    expect(await cookieOf()).not.toContain("Secure");
    setTrustProxy("true");
    expect(await cookieOf()).toContain("; Secure");
  });
});
