export * from "./acs3/index.ts";
export * from "./fc/index.ts";
export * from "./hmac/index.ts";
export { headerValues, singleHeader, type WireRequest } from "./request.ts";
export type {
	Diagnosis,
	Result,
	SchemeName,
	SignatureFailure,
} from "./result.ts";
/** What a gateway may quote of a caller's credentials in its own messages and records. */
export {
	authorizationShape,
	keyIdSnippet,
	redactTokens,
} from "./shared/redact.ts";
export * from "./sigv4/index.ts";
export * from "./webhooks/index.ts";
