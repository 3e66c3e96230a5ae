/** Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
export { WEBHOOK_SECRET_PREFIX, webhookKey } from "./secret.ts";
export {
	DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
	type SignStandardWebhookInput,
	type StandardWebhookOptions,
	signStandardWebhook,
	verifyStandardWebhook,
} from "./standard-webhook.ts";
