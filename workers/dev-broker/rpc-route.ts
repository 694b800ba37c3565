/** QueryRoute and QueryAssignment: where a topic lives and which queues a push consumer polls. */
import type { QueryAssignmentRequest, QueryRouteRequest } from "rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb";
import { assignV4Queues } from "./assignments";
import type { Broker } from "./broker";
import { Code, def, okStatus, statusOf, statusOfProblem, svc } from "./proto";
import { clientIdOf, unary } from "./rpc-util";
import { checkGroup, checkTopic, topicNotFound } from "./validate";

const PUSH_CONSUMER = 2;

export function routeHandlers(broker: Broker) {
  const log = broker.options.logger;

  const queryRoute = unary<QueryRouteRequest, InstanceType<typeof svc.QueryRouteResponse>>(
    "QueryRoute",
    svc.QueryRouteResponse,
    (req, call) => {
      const res = new svc.QueryRouteResponse();
      const name = req.getTopic()?.getName();
      const bad = checkTopic(name);
      if (bad) return res.setStatus(statusOf(bad.code, bad.message));
      const clientId = clientIdOf(call.metadata);
      if (clientId) broker.registry.touch(clientId);
      const topic = broker.store.getTopic(name!) ?? (broker.options.autoCreateTopics ? broker.store.ensureTopic(name!) : undefined);
      if (!topic) return res.setStatus(statusOfProblem(topicNotFound(name!)));
      const endpoints = broker.endpointsFor(req.getEndpoints());
      const resource = req.getTopic()!;
      return res.setStatus(okStatus()).setMessageQueuesList(topic.queues.map((_, id) => broker.messageQueuePb(resource, topic.type, id, endpoints)));
    },
    log,
  );

  const queryAssignment = unary<QueryAssignmentRequest, InstanceType<typeof svc.QueryAssignmentResponse>>(
    "QueryAssignment",
    svc.QueryAssignmentResponse,
    (req, call) => {
      const res = new svc.QueryAssignmentResponse();
      const topicName = req.getTopic()?.getName();
      const group = req.getGroup()?.getName();
      const bad = checkTopic(topicName) ?? checkGroup(group);
      if (bad) return res.setStatus(statusOf(bad.code, bad.message));
      const clientId = clientIdOf(call.metadata);
      if (!clientId) return res.setStatus(statusOf(Code.CLIENT_ID_REQUIRED, "x-mq-client-id is required"));
      const topic = broker.store.getTopic(topicName!);
      if (!topic) return res.setStatus(statusOfProblem(topicNotFound(topicName!)));
      broker.registry.touch(clientId, { type: PUSH_CONSUMER, group, topics: [topicName!] });
      const endpoints = broker.endpointsFor(req.getEndpoints());
      let queueIds = [-1]; // pop mode: one assignment per broker, queue id -1, same for every client
      if (broker.faults.v4Mode) queueIds = assignV4Queues(broker, group!, topic.name, topic.queues.length, clientId);
      else broker.consumption.setOwners(group!, topic.name, []); // a later switch to v4 starts fresh
      const assignments = queueIds.map((id) => new def.Assignment().setMessageQueue(broker.messageQueuePb(req.getTopic()!, topic.type, id, endpoints)));
      return res.setStatus(okStatus()).setAssignmentsList(assignments);
    },
    log,
  );

  return { queryRoute, queryAssignment };
}
