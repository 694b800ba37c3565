/**
 * Hostile data through the real server and browser: keys, group names, reasons, emails and
 * token names carrying SQL and script payloads are written the way the runtime writes them
 * (the runtime's claim and event SQL) or through the API, then every page that shows them is
 * loaded. They must read as the literal text, and nothing may run: no dialog opens and the
 * payloads' window.__pwned flag stays undefined. Also: no release control for a viewer anywhere,
 * an expired or garbled session cookie sends the browser to sign in, and hostile requests to the
 * real HTTP stack get 4xx answers in the one error shape.
 */
import type { Page } from "@playwright/test";
import type { Pool } from "@dedup-audit/runtime/db";
import { detectDialect, hashPayload, insertClaims, insertEvents } from "@dedup-audit/runtime/testing";
import { GROUP_PAYLOADS, KEY_PAYLOADS, reasonOf, SCRIPT_PAYLOADS } from "../test/security/payloads";
import { expect, test } from "./fixtures/test";
import { seedStats, uniqueName } from "../test/support/seed";
import { E2E_USERS } from "./fixtures/users";
import { visibleText } from "../app/components/invisible";

/** Every dialog the page opens (alert/confirm/prompt from an executed payload would land here). */
function watchDialogs(page: Page): string[] {
  const seen: string[] = [];
  page.on("dialog", (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return seen;
}

async function expectNothingRan(page: Page, dialogs: string[]): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  // The markup stayed text: no element a payload would have created exists.
  await expect(page.locator('main img[src="x"], main svg[onload], main script')).toHaveCount(0);
}

/** A group of stuck claims with hostile keys and their duplicate events, as a worker writes them. */
async function seedHostileKeys(db: Pool): Promise<string> {
  const group = uniqueName("hostile");
  const scope = { group, topic: "orders" };
  const keys = KEY_PAYLOADS.map((p) => Buffer.from(p, "utf8"));
  await insertClaims(
    db,
    scope,
    keys.map((key, i) => ({ tag: "", key, keySource: "key" as const, msgId: `MSG-H-${i}`, queue: "", payloadHash: hashPayload(key) })),
    { state: "CLAIMED", owner: "worker-gone", leaseMs: -120_000, retentionMs: 86_400_000, dialect: await detectDialect(db) },
  );
  await insertEvents(db, scope, keys.map((key, i) => ({ kind: "duplicate" as const, tag: "", key, msgId: `MSG-H-${i}-B`, cause: "redelivery" as const, outcome: "deferred", deliveryAttempt: 2 })));
  await seedStats(db, { group, minutesAgo: 3, consumed: 40, redelivery: keys.length });
  for (const g of GROUP_PAYLOADS) await seedStats(db, { group: g, minutesAgo: 3, consumed: 5, redelivery: 1 });
  return group;
}

test("hostile keys, group names and reasons are shown as text everywhere and never run", async ({ page, signIn, db }) => {
  // Positive control: the same payload as HTML does run in this browser, so "never ran" means something.
  const control = await page.context().newPage();
  await control.setContent(SCRIPT_PAYLOADS[1]);
  await expect.poll(() => control.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBe(1);
  await control.close();

  const dialogs = watchDialogs(page);
  const group = await seedHostileKeys(db);
  await signIn("operator");

  for (const g of GROUP_PAYLOADS) await expect(page.getByRole("link", { name: g, exact: true })).toBeVisible();
  await expectNothingRan(page, dialogs);

  // Group detail: stuck claims and recent events list every key byte for byte, with its
  // invisible characters (NUL, RLO) shown as markers.
  await page.goto(`/groups/${group}`);
  await expect(page.locator("tr[data-claim]")).toHaveCount(KEY_PAYLOADS.length);
  expect((await page.locator('tr[data-claim] a[href^="/keys?"]').allTextContents()).sort()).toEqual(KEY_PAYLOADS.map(visibleText).sort());
  await expectNothingRan(page, dialogs);

  // Stuck claims: release a script-keyed claim through the dialog with a script reason.
  await page.goto(`/claims?group=${group}`);
  const target = SCRIPT_PAYLOADS[1];
  const reason = reasonOf(SCRIPT_PAYLOADS[0]);
  const row = page.locator("tr[data-claim]").filter({ has: page.getByRole("link", { name: target, exact: true }) });
  await row.getByRole("button", { name: "Release…" }).click();
  const dialog = page.getByRole("dialog", { name: "Release 1 claim" });
  await expect(dialog).toContainText(target);
  await dialog.getByLabel(/Reason/).fill(reason);
  await dialog.getByRole("button", { name: "Release 1 claim" }).click();
  await expect(dialog).toContainText("1 of 1 applied");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(page.locator("tr[data-claim]")).toHaveCount(KEY_PAYLOADS.length - 1);
  await expectNothingRan(page, dialogs);

  const [rows] = await db.query("SELECT reason, dedup_key FROM operator_action WHERE consumer_group = ? AND action = 'release'", [group]);
  expect(rows as { reason: string; dedup_key: Buffer }[]).toEqual([{ reason, dedup_key: Buffer.from(target) }]);

  // Audit log and key explorer show the reason and the key as typed.
  await page.goto("/audit");
  const entry = page.locator("tr[data-action=release]", { hasText: reason });
  await expect(entry).toContainText(target);
  await expectNothingRan(page, dialogs);

  await page.goto(`/keys?key=${encodeURIComponent(target)}&group=${group}`);
  await expect(page.locator(".history h2 .mono")).toHaveText(target);
  await expect(page.locator(".timeline")).toContainText(`“${reason}”`);
  for (const p of SCRIPT_PAYLOADS) {
    await page.goto(`/keys?key=${encodeURIComponent(p)}`);
    await expect(page.locator(".history h2 .mono").first()).toHaveText(p);
    await expectNothingRan(page, dialogs);
  }

  // A group name the API refuses as a filter: the page says so, and still runs nothing.
  await page.goto(`/groups/${encodeURIComponent(GROUP_PAYLOADS[1])}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(GROUP_PAYLOADS[1]);
  await expectNothingRan(page, dialogs);
});

test("an admin sees a quoted email and markup token names as text", async ({ page, signIn }) => {
  const dialogs = watchDialogs(page);
  await signIn("admin");
  const me = (await (await page.request.get("/api/auth/me")).json()) as { csrfToken: string };
  const headers = { "x-csrf-token": me.csrfToken };
  const email = `o'brien'--${uniqueName("x")}@example.com`;
  expect((await page.request.post("/api/users", { headers, data: { email, password: "quoted-user-pass", role: "viewer" } })).status()).toBe(201);
  const tokenName = `${SCRIPT_PAYLOADS[0]} ${uniqueName("t")}`;
  expect((await page.request.post("/api/tokens", { headers, data: { name: tokenName, role: "viewer" } })).status()).toBe(201);

  await page.getByRole("link", { name: "Users & tokens" }).click();
  await expect(page.locator("tr").filter({ hasText: email }).first()).toBeVisible();
  await expect(page.getByText(tokenName, { exact: true })).toBeVisible();
  await expectNothingRan(page, dialogs);
});

test("a viewer has no release control on any page, and an expired session goes back to sign-in", async ({ page, signIn, incident, db }) => {
  await signIn("viewer");
  const controls = page.getByRole("button", { name: /Release|Mark .*done/ });
  for (const path of [`/groups/${incident.group}`, `/keys?key=${encodeURIComponent(incident.claims[0].key)}`]) {
    await page.goto(path);
    await expect(page.getByText(incident.claims[0].key).first()).toBeVisible();
    await expect(controls).toHaveCount(0);
  }
  await db.query("UPDATE session s JOIN app_user u ON u.id = s.user_id SET s.expires_at = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE u.email = ?", [E2E_USERS.viewer.email]);
  await page.goto(`/claims?group=${incident.group}`);
  await expect(page).toHaveURL(/\/login/);
  expect((await page.request.get("/api/overview")).status()).toBe(401);
});

test("hostile requests to the real server: garbled cookies, bad JSON, odd paths — 4xx in the error shape, never 5xx", async ({ page, baseURL, playwright }) => {
  await page.context().addCookies([{ name: "dedup_session", value: "%E0%A4%A", url: baseURL! }]);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);

  const api = await playwright.request.newContext({ baseURL });
  const json = { "content-type": "application/json" };
  const cases: [string, string, Record<string, string>, string | undefined][] = [
    ["GET", "/api/overview", { cookie: "dedup_session=%E0%A4%A" }, undefined],
    ["GET", "/api/overview", { cookie: "dedup_session=" + "A".repeat(6000) }, undefined],
    ["GET", "/api/overview", { authorization: "Bearer dda_' OR '1'='1" }, undefined],
    ["POST", "/api/auth/login", json, "{not json"],
    ["POST", "/api/auth/login", json, '{"email": {"__proto__": {"admin": true}}, "password": "x"}'],
    ["POST", "/api/auth/login", json, "[".repeat(50_000) + "]".repeat(50_000)],
    ["POST", "/api/auth/login", json, `{"email": "a@b.c", "password": "${"x".repeat(1024 * 1024)}"}`],
    ["POST", "/api/auth/login", { "content-type": "text/plain" }, '{"email":"a@b.c","password":"x"}'],
    ["POST", "/api/claims/release", json, '{"claims":[{"id":"1","fence":"1"}],"reason":"no auth"}'],
    ["GET", "/api/groups/%E0%A4%A", {}, undefined],
    ["GET", "/api/groups/%27%20OR%20%271%27%3D%271", {}, undefined],
    ["GET", "/api/keys?key=%E0%A4%A&group=%00", {}, undefined],
    ["DELETE", "/api/tokens/1%3BDROP%20TABLE%20api_token", {}, undefined],
    ["PATCH", "/api/users/99999999999999999999", json, '{"role":"admin"}'],
    ["PUT", "/api/overview", json, "{}"],
    ["GET", "/api/claims/release", {}, undefined],
  ];
  for (const [method, url, headers, data] of cases) {
    const res = await api.fetch(url, { method, headers, data, failOnStatusCode: false, maxRedirects: 0 });
    const label = `${method} ${url.slice(0, 60)}`;
    expect(res.status(), label).toBeGreaterThanOrEqual(400);
    expect(res.status(), label).toBeLessThan(500);
    const body = (await res.json()) as { error: { code: string; status: number; message: string } };
    expect(body.error.status, label).toBe(res.status());
    expect(JSON.stringify(body), label).not.toMatch(/\bat .+:\d+:\d+|node_modules/);
  }
  // A method the route does not export: 405 with the methods it does (Next.js alone sends no Allow).
  for (const [method, url, allow] of [["PUT", "/api/overview", "GET, HEAD, OPTIONS"], ["GET", "/api/claims/release", "POST, OPTIONS"]]) {
    const res = await api.fetch(url, { method, failOnStatusCode: false });
    expect([res.status(), res.headers()["allow"]], `${method} ${url}`).toEqual([405, allow]);
  }
  await api.dispose();
});

test("security headers on pages and API answers; no inline script runs without this request's nonce", async ({ page, signIn, baseURL, playwright }) => {
  test.slow(); // several sign-ins, each one scrypt at N = 2^17
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(m.text());
  });
  const first = await page.goto("/login");
  const headers = first!.headers();
  expect(headers).toMatchObject({ "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin" });
  const nonce = /'nonce-([^']+)'/.exec(headers["content-security-policy"])?.[1];
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(nonce).toBeTruthy();
  // Every script Next.js rendered carries the nonce; none is left that the policy would block.
  expect(await page.locator("script").count()).toBeGreaterThan(0);
  expect(await page.locator(`script:not([nonce])`).count()).toBe(0);
  const second = await page.request.get("/login");
  expect(second.headers()["content-security-policy"]).not.toContain(nonce!);

  // The app still works under the policy: sign in, move around, open the audit log.
  await signIn("admin");
  for (const path of ["/claims", "/keys", "/alerts", "/audit", "/admin", "/account"]) {
    await page.goto(path);
    await expect(page.locator("h1").first()).toBeVisible();
  }
  expect(violations).toEqual([]);

  const api = await playwright.request.newContext({ baseURL });
  for (const path of ["/api/health", "/api/overview", "/api/no-such-route"]) {
    const res = await api.get(path, { failOnStatusCode: false });
    expect(res.headers(), path).toMatchObject({
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    });
  }
  await api.dispose();
});

test("the real server: no open redirect after sign-in, no Secure cookie from a forged X-Forwarded-Proto, the peer address cannot be forged, bodies over 64 KB are refused", async ({ page, signIn, baseURL, playwright }) => {
  test.slow(); // several sign-ins, each one scrypt at N = 2^17
  await signIn("viewer");
  for (const next of ["/%5Cevil.example/phish", "/%09/evil.example", "//evil.example", "https://evil.example", "/%5C%5Cevil.example"]) {
    const res = await page.request.get(`/login?next=${next}`, { maxRedirects: 0 });
    expect([res.status(), res.headers()["location"]], next).toEqual([307, "/"]);
  }
  const same = await page.request.get("/login?next=/claims%3Fgroup%3Dorders", { maxRedirects: 0 });
  expect(same.headers()["location"]).toBe("/claims?group=orders");

  const api = await playwright.request.newContext({ baseURL });
  const u = E2E_USERS.viewer;
  const login = await api.post("/api/auth/login", { data: { email: u.email, password: u.password }, headers: { "x-forwarded-proto": "https" } });
  expect(login.status()).toBe(200);
  expect(login.headers()["set-cookie"]).not.toMatch(/;\s*Secure/i);

  // A client-sent x-dedup-peer is overwritten with the socket's address: five "different" clients are one.
  const email = `peer-${Date.now()}@example.com`;
  for (let i = 0; i < 5; i += 1) {
    const res = await api.post("/api/auth/login", { data: { email, password: "wrong-password" }, headers: { "x-dedup-peer": `192.0.2.${i}`, "x-forwarded-for": `192.0.2.${i}` }, failOnStatusCode: false });
    expect(res.status()).toBe(401);
  }
  const limited = await api.post("/api/auth/login", { data: { email, password: "wrong-password" }, headers: { "x-dedup-peer": "192.0.2.99" }, failOnStatusCode: false });
  expect(limited.status()).toBe(429);

  const big = await api.post("/api/auth/login", { data: JSON.stringify({ email, password: "x".repeat(100_000) }), headers: { "content-type": "application/json" }, failOnStatusCode: false });
  expect(big.status()).toBe(413);
  expect(await big.json()).toMatchObject({ error: { code: "payload_too_large", status: 413 } });
  await api.dispose();
});

test("an audit row filed under a group and key the caller made up is marked unverified on the audit page", async ({ page, signIn }) => {
  test.slow(); // several sign-ins, each one scrypt at N = 2^17
  await signIn("operator");
  const { csrfToken } = (await (await page.request.get("/api/auth/me")).json()) as { csrfToken: string };
  const group = uniqueName("made-up");
  const shown = { consumerGroup: group, topic: "orders", tag: "", keyHex: Buffer.from("order-1").toString("hex") };
  const res = await page.request.post("/api/claims/release", {
    data: { claims: [{ id: "987654321987", fence: "1", shown }], reason: "claim is not there" },
    headers: { "x-csrf-token": csrfToken },
    failOnStatusCode: false,
  });
  expect(res.status()).toBe(404);
  await page.goto("/audit");
  const row = page.locator("tr[data-action=release]").filter({ hasText: group });
  await expect(row.locator("[data-unverified]")).toHaveText("unverified target");
});

test("keys with RLO, ZWJ and NUL render isolated and visibly; a 255-character tag keeps Release on screen at 1280 and 390 px", async ({ page, signIn, db }) => {
  const group = uniqueName("bidi");
  const scope = { group, topic: "orders" };
  const spoof = "\u202egnp.exe-redro"; // reads "order-exe.png" without isolation
  const keys = [spoof, "pay\u200dment-7", "nul\u0000key"].map((k) => Buffer.from(k, "utf8"));
  const longTag = "t".repeat(255);
  const dialect = await detectDialect(db);
  const stuck = { state: "CLAIMED" as const, owner: "worker-gone", leaseMs: -120_000, retentionMs: 86_400_000, dialect };
  await insertClaims(db, scope, keys.map((key, i) => ({ tag: "", key, keySource: "key" as const, msgId: `MSG-B-${i}`, queue: "", payloadHash: hashPayload(key) })), stuck);
  const wide = Buffer.from("wide-row");
  await insertClaims(db, scope, [{ tag: longTag, key: wide, keySource: "key" as const, msgId: "MSG-B-wide", queue: "", payloadHash: hashPayload(wide) }], stuck);
  await seedStats(db, { group, minutesAgo: 3, consumed: 10, redelivery: 1 });
  await signIn("operator");

  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`/groups/${encodeURIComponent(group)}`);
    const spoofLink = page.locator("table.claims a").filter({ hasText: "gnp.exe-redro" });
    await expect(spoofLink).toHaveCount(1);
    // Isolated: the override stays inside the key; the marker shows it is there.
    const bdi = spoofLink.locator("bdi.untrusted");
    expect(await bdi.evaluate((el) => getComputedStyle(el).unicodeBidi)).toBe("isolate");
    await expect(spoofLink.locator(".invisible-char")).toHaveText("U+202E");
    await expect(page.locator("table.claims a").filter({ hasText: "ment-7" }).locator(".invisible-char")).toHaveText("U+200D");
    await expect(page.locator("table.claims a").filter({ hasText: "key" }).filter({ hasText: "nul" }).locator(".invisible-char")).toHaveText("\u2400");
    // The heading around a hostile group name still reads left to right.
    await expect(page.locator("h1 bdi.untrusted")).toHaveText(group);

    const row = page.locator("tr", { has: page.locator("a", { hasText: "wide-row" }) });
    const release = row.getByRole("button", { name: "Release…" });
    await release.scrollIntoViewIfNeeded();
    const box = await release.boundingBox();
    expect(box, `Release button at ${width} px`).not.toBeNull();
    expect(box!.x, `Release button at ${width} px`).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `Release button at ${width} px`).toBeLessThanOrEqual(width);
    // At 1280 px the page does not scroll sideways at all: the tag wraps.
    if (width === 1280) expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: test.info().outputPath(`bidi-${width}.png`), fullPage: true });
  }
});
