// webhooks' public face: endpoint management, delivery log, redelivery and replay for the REST API,
// and the delivery worker. Depends on sync (the event feed); sync never depends on it.
export * from "./endpoints.js";
export { listDeliveryAttempts, type DeliveryAttempt } from "./delivery-log.js";
export { replayEvents, scheduleDeliveries, dispatchEvents } from "./dispatch.js";
export { checkWebhookUrl, isForbiddenAddress } from "./ssrf.js";
export { WebhookWorker, webhookDeliveryJob } from "./worker.js";
