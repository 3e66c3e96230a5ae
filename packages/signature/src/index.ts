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
export * from "./sigv4/index.ts";
export * from "./webhooks/index.ts";
