/**
 * The chaos itself: SIGKILL random workers at random moments (sometimes two at once) and start
 * replacements a moment later, so the group keeps rebalancing — each kill and each join moves
 * queues in v4 mode and sends the dead worker's in-flight messages to the others.
 */
import { sleep } from "../support/broker-harness";
import type { Fleet } from "./fleet";
import type { Rng } from "./random";

export interface KillPhaseOptions {
  durationMs: number;
  /** Random gap between kills, seconds. */
  gapS: [number, number];
  /** Random delay before a replacement starts, seconds. */
  respawnS?: [number, number];
  log?: (line: string) => void;
}

export async function runKillPhase(fleet: Fleet, rng: Rng, o: KillPhaseOptions): Promise<{ kills: number }> {
  const started = Date.now();
  const end = started + o.durationMs;
  const [respawnMin, respawnMax] = o.respawnS ?? [0.2, 3];
  const respawns: Promise<unknown>[] = [];
  let kills = 0;
  let nextKill = started + rng.between(o.gapS[0], o.gapS[1]) * 1000;
  while (Date.now() < end) {
    await sleep(Math.max(10, Math.min(250, nextKill - Date.now(), end - Date.now())));
    if (Date.now() < nextKill || Date.now() >= end) continue;
    nextKill = Date.now() + rng.between(o.gapS[0], o.gapS[1]) * 1000;
    const alive = fleet.alive();
    // Keep one worker alive, so there is always someone to take the dead one's messages.
    const victims = Math.min(alive.length - 1, alive.length >= 3 && rng.next() < 0.2 ? 2 : 1);
    for (let i = 0; i < victims; i++) {
      const v = alive.splice(rng.int(0, alive.length - 1), 1)[0];
      fleet.kill(v);
      kills++;
      o.log?.(`  t+${((Date.now() - started) / 1000).toFixed(1)} s  SIGKILL ${v.name} (pid ${v.pid})`);
      respawns.push(sleep(rng.between(respawnMin, respawnMax) * 1000).then(() => fleet.spawn()));
    }
  }
  await Promise.all(respawns);
  return { kills };
}
