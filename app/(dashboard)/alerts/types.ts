/** What the /api/alerts routes answer, as the browser sees it (dates as ISO strings). */
import type { Json } from "@/app/components/json";
import type { DeliveryView, TestSendResult } from "@/lib/alerts/deliveries";
import type { EndpointView } from "@/lib/alerts/endpoint-store";
import type { RuleHistory } from "@/lib/alerts/history";
import type { listAlertStates, RuleView } from "@/lib/alerts/rule-store";
import type { SilenceView } from "@/lib/alerts/silence-store";

export type Rule = Json<RuleView>;
export type AlertStateRow = Json<Awaited<ReturnType<typeof listAlertStates>>[number]>;
/** secretHint is absent for non-admins (and url is scheme + host only). */
export type Endpoint = Json<Omit<EndpointView, "secretHint"> & { secretHint?: string }>;
export type Delivery = Json<DeliveryView>;
export type TestResult = Json<TestSendResult>;
export type Silence = Json<SilenceView>;
export type History = Json<RuleHistory>;
