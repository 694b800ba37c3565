// Patches node_modules/rocketmq-client-nodejs/dist (1.0.8) for bugs our workers cannot work around
// from outside. Run by `npm run setup` (scripts/setup.mjs imports this file) or directly with
// `node scripts/patch-rocketmq-client.mjs`. Idempotent: every edit carries a tag, a marker file
// records the applied set, and a second run changes nothing. If the client's text is not exactly
// what a patch expects (another client version), it stops with a message naming the patch.
// Each patch is documented in patches/README.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const EXPECTED_VERSION = "1.0.8";
const MARKER = ".dedup-audit-patches.json";

/** @type {{ id: string, why: string, file: string, edits: { find: string, replace: string, count?: number }[] }[]} */
export const patches = [
  {
    id: "nack-delay-ms",
    why: "retry policy delays are seconds, but ProcessQueue passes them on as milliseconds (nack → redelivery ~1 ms later)",
    file: "dist/consumer/ProcessQueue.js",
    edits: [
      {
        find: "const delay = retryPolicy?.getNextAttemptDelay(messageView.deliveryAttempt ?? 1) ?? 0;",
        replace:
          "const delay = (retryPolicy?.getNextAttemptDelay(messageView.deliveryAttempt ?? 1) ?? 0) * 1000; /* dedup-audit:nack-delay-ms — the policy's delay is in seconds, ChangeInvisibleDuration wants ms */",
      },
      {
        find: "const nextAttemptDelay = retryPolicy?.getNextAttemptDelay(attempt) ?? 0;",
        replace:
          "const nextAttemptDelay = (retryPolicy?.getNextAttemptDelay(attempt) ?? 0) * 1000; /* dedup-audit:nack-delay-ms — seconds → ms for the FIFO local retry timer */",
      },
    ],
  },
  {
    id: "telemetry-shutdown",
    why: "after shutdown a late CANCELLED 'error' on the released stream is uncaught, and a pending reconnect timer revives the stream forever",
    file: "dist/client/TelemetrySession.js",
    edits: [
      {
        find: "    #isRefreshing = false;\n",
        replace: "    #isRefreshing = false;\n    #closed = false; /* dedup-audit:telemetry-shutdown — set by close(): never reconnect again */\n",
      },
      {
        find: "    release() {\n",
        replace:
          "    /* dedup-audit:telemetry-shutdown — final release at client shutdown */\n    close() {\n        this.#closed = true;\n        this.release();\n    }\n    release() {\n",
      },
      {
        find: "            this.#stream.removeAllListeners();\n",
        replace:
          "            this.#stream.removeAllListeners();\n            this.#stream.on('error', () => { }); /* dedup-audit:telemetry-shutdown — closing the channel cancels the call; without a listener that 'error' crashes the process */\n",
      },
      {
        find: "        setTimeout(() => {\n            this.#renewStream(false);\n        }, 1000);\n",
        replace:
          "        setTimeout(() => {\n            if (this.#closed) return; /* dedup-audit:telemetry-shutdown — the client shut down meanwhile */\n            this.#renewStream(false);\n        }, 1000);\n",
        count: 2,
      },
    ],
  },
  {
    id: "shutdown-completes",
    why: "shutdown() stopped half-way (telemetry still reconnecting) when NotifyClientTermination failed; sessions must be closed for good",
    file: "dist/client/BaseClient.js",
    edits: [
      {
        find: "        await this.#notifyClientTermination();\n",
        replace:
          "        try { /* dedup-audit:shutdown-completes — an unreachable broker must not leave the client half shut down */\n            await this.#notifyClientTermination();\n        }\n        catch (e) {\n            this.logger.warn('Notify client termination failed, continuing shutdown, clientId=%s, error=%s', this.clientId, e instanceof Error ? e.message : String(e));\n        }\n",
      },
      {
        find: "            session.release();\n",
        replace: "            session.close(); /* dedup-audit:shutdown-completes — close, not release: no reconnect after shutdown */\n",
      },
    ],
  },
  {
    id: "default-logger",
    why: "consume services ignore the client's logger option and each create an egg-logger whose flush timer keeps the process alive forever",
    file: "dist/client/Logger.js",
    edits: [
      {
        find: "exports.getDefaultLogger = getDefaultLogger;\n",
        replace:
          "exports.getDefaultLogger = getDefaultLogger;\n/* dedup-audit:default-logger — a process-wide logger used instead of a new egg-logger per call */\nlet defaultLoggerOverride;\nfunction setDefaultLogger(logger) {\n    defaultLoggerOverride = logger;\n}\nexports.setDefaultLogger = setDefaultLogger;\n",
      },
      {
        find: "function getDefaultLogger() {\n",
        replace: "function getDefaultLogger() {\n    if (defaultLoggerOverride) return defaultLoggerOverride; /* dedup-audit:default-logger */\n",
      },
    ],
  },
  {
    id: "default-logger-types",
    why: "type declaration for setDefaultLogger (see default-logger)",
    file: "dist/client/Logger.d.ts",
    edits: [
      {
        find: "export declare function getDefaultLogger(): EggLogger;\n",
        replace:
          "export declare function getDefaultLogger(): EggLogger;\n/** dedup-audit:default-logger-types — logger for the parts of the client that ignore the `logger` option; undefined restores egg-logger. */\nexport declare function setDefaultLogger(logger?: ILogger): void;\n",
      },
    ],
  },
];

function clientRoot() {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("rocketmq-client-nodejs/package.json"));
}

function countOf(text, find) {
  let n = 0;
  for (let i = text.indexOf(find); i !== -1; i = text.indexOf(find, i + find.length)) n++;
  return n;
}

/** Apply every patch not applied yet; returns the ids it applied now. */
export function patchRocketmqClient(root = clientRoot()) {
  const version = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).version;
  const markerPath = path.join(root, MARKER);
  const marker = existsSync(markerPath) ? JSON.parse(readFileSync(markerPath, "utf8")) : { applied: [] };
  if (marker.version === version && patches.every((p) => marker.applied.includes(p.id))) return [];
  if (version !== EXPECTED_VERSION) {
    throw new Error(
      `rocketmq-client-nodejs is ${version}, but scripts/patch-rocketmq-client.mjs was written for ${EXPECTED_VERSION}. ` +
        "Check each bug in patches/README.md against the new version, then update the patches.",
    );
  }
  const appliedNow = [];
  for (const patch of patches) {
    const file = path.join(root, patch.file);
    let text = readFileSync(file, "utf8");
    if (text.includes(`dedup-audit:${patch.id}`)) continue; // applied by an earlier, interrupted run
    for (const edit of patch.edits) {
      const found = countOf(text, edit.find);
      const want = edit.count ?? 1;
      if (found !== want) {
        throw new Error(
          `patch "${patch.id}": expected ${want}× in ${patch.file} but found ${found}× the text:\n${edit.find}\n` +
            "The client changed; see patches/README.md.",
        );
      }
      text = text.split(edit.find).join(edit.replace);
    }
    writeFileSync(file, text);
    appliedNow.push(patch.id);
  }
  writeFileSync(markerPath, JSON.stringify({ version, applied: patches.map((p) => p.id), patchedAt: new Date().toISOString() }, null, 2) + "\n");
  return appliedNow;
}

const applied = patchRocketmqClient();
if (applied.length > 0) console.log(`patched rocketmq-client-nodejs: ${applied.join(", ")}`);
