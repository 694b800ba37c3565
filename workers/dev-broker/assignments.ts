/**
 * QueryAssignment answers.
 *  - Default, as the RocketMQ 5 proxy does for ordinary groups (pop mode): one assignment per
 *    broker with queue id -1, identical for every client of the group. The client never sees a
 *    queue move; the broker hands each receive whatever is visible.
 *  - v4 mode: the topic's real queues are spread over the group's live clients with RocketMQ 4's
 *    AllocateMessageQueueAveragely. When a queue changes owner, what was acked on it in the replay
 *    window is delivered again (consumption.replayQueue).
 */
import type { ClientRegistry } from "./consumers";
import type { Consumption } from "./consumption";
import type { EventLog } from "./events";

/** RocketMQ 4's AllocateMessageQueueAveragely, for every member at once: owner of each queue. */
export function allocateAveragely(queueCount: number, members: string[]): (string | undefined)[] {
  const owners: (string | undefined)[] = new Array(queueCount).fill(undefined);
  const n = members.length;
  if (n === 0) return owners;
  const mod = queueCount % n;
  members.forEach((member, index) => {
    const average = queueCount <= n ? 1 : mod > 0 && index < mod ? Math.floor(queueCount / n) + 1 : Math.floor(queueCount / n);
    const start = mod > 0 && index < mod ? index * average : index * average + mod;
    const range = Math.min(average, queueCount - start);
    for (let i = 0; i < range; i++) owners[(start + i) % queueCount] = member;
  });
  return owners;
}

const PUSH_CONSUMER = 2;

/**
 * v4 mode: the queue ids `clientId` should consume now. Recomputes the whole allocation, and
 * replays the acked window of every queue whose owner changed since the last answer.
 */
export function assignV4Queues(
  deps: { registry: ClientRegistry; consumption: Consumption; events: EventLog },
  group: string,
  topic: string,
  queueCount: number,
  clientId: string,
): number[] {
  const members = deps.registry.liveMembers(group, PUSH_CONSUMER, topic);
  if (!members.includes(clientId)) members.push(clientId), members.sort();
  const owners = allocateAveragely(queueCount, members);
  const previous = deps.consumption.owners(group, topic);
  owners.forEach((owner, queueId) => {
    const before = previous[queueId];
    if (before === undefined || before === owner) return;
    const count = deps.consumption.replayQueue(group, topic, queueId);
    deps.events.push({ type: "replay", group, topic, queueId, count, from: before, to: owner });
  });
  deps.consumption.setOwners(group, topic, owners);
  const mine = owners.flatMap((owner, queueId) => (owner === clientId ? [queueId] : []));
  deps.consumption.recordTold(group, topic, clientId, mine);
  return mine;
}
