export { deliverWebhook, EndpointError, type WebhookResult } from './deliver';
export { classifyStatus, retryAfterSeconds, type ResponseOutcome } from './outcome';
export { BODY_EXCERPT_BYTES } from './caller';
export { signingKeys, SECRET_MAX_AGE_SECONDS } from './secret-source';
export { parseSecrets, signatureHeader, verifyWebhook, webhookId, WEBHOOK_HEADERS, WebhookSecretError, WebhookVerificationError } from './signature';
export type { VerifiedWebhook, VerifyOptions, WebhookRequestHeaders } from './signature';
