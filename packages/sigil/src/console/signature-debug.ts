/**
 * `POST /sigil/v1/signature-debug` (docs/console.md): why a request's signature is or is not
 * accepted, for the owner of the key that signed it. The subject was resolved and authorized
 * by the pipeline (debug-subject.ts); this runs the gateway's own verifier on it and words the
 * answer. Nothing of it is stored: the pasted request is not logged or audited as a request.
 */
import { SigilError } from "../errors.ts";
import type { GatewayContext } from "../gateway/context.ts";
import { sendJson } from "../gateway/respond.ts";
import type { Call } from "../gateway/route.ts";
import type { AuditRecord } from "../store/types.ts";
import { checkAcs3, checkHmac } from "./check-shared-secret.ts";
import { checkSigV4, clientScope } from "./check-sigv4.ts";
import {
	type Checked,
	causeOf,
	type DebugAnswer,
	type DebugScheme,
	shown,
	withDifferences,
} from "./debug-answer.ts";
import type { DebugTarget } from "./debug-subject.ts";
import { type SignedFor, signedFor } from "./signed-for.ts";

export { MAX_DEBUG_BODY_BYTES } from "./debug-input.ts";
export { debugSubject } from "./debug-subject.ts";

export async function signatureDebug({
	ex,
	ctx,
	target,
}: Call<DebugTarget>): Promise<void> {
	sendJson(ex, 200, await debugSignature(ctx, target), {
		"cache-control": "no-store",
	});
}

/** The debugger's answer for an authorized subject. */
export async function debugSignature(
	ctx: GatewayContext,
	target: DebugTarget,
): Promise<DebugAnswer> {
	const { input, subject } = target;
	const checked = await check(ctx, target);
	if (
		checked.canonicalRequest === null &&
		input.clientCanonicalRequest !== undefined &&
		subject.kind === "hmac"
	)
		throw new SigilError(
			"DEBUG_INPUT_INVALID",
			"a payload HMAC signs the body itself: there is no canonical request to compare clientCanonicalRequest with",
		);
	return withDifferences(checked, input);
}

async function check(
	ctx: GatewayContext,
	target: DebugTarget,
): Promise<Checked> {
	const { input, subject } = target;
	if (subject.kind === "audit") return fromAudit(subject.record);
	if (input.source === "audit")
		throw new Error("an audit input has an audit subject");
	const wire = input.wire;
	const now = ctx.now();
	if (subject.kind === "hmac") {
		const trigger = subject.fn.config.trigger;
		const secrets: Buffer[] = [];
		for (const name of trigger.secrets) {
			const value = await ctx.store.secrets.get(subject.fn.accountId, name);
			if (value) secrets.push(value);
		}
		return checkHmac({
			wire,
			header: trigger.header,
			algorithms: trigger.algorithms,
			secrets,
			functionName: subject.fn.name,
		});
	}
	const secret = subject.kind === "key" ? subject.secret : "";
	const accessKeyId = subject.kind === "key" ? subject.accessKeyId : "";
	const route = await signedFor(
		ctx,
		target.accountId,
		wire,
		clientScope(wire)?.region,
	);
	const checked = wrongScheme(
		subject.scheme === "sigv4"
			? checkSigV4({
					wire,
					accessKeyId,
					secretAccessKey: secret,
					expect: route,
					now,
					maxSkewMs: ctx.maxSkewMs,
				})
			: checkAcs3({ wire, accessKeyId, accessKeySecret: secret, now }),
		route,
	);
	if (subject.kind === "key" && subject.disabled && checked.outcome === "valid")
		return {
			...checked,
			outcome: "refused",
			code: "ACCESS_KEY_DISABLED",
			message:
				"The signature is right, but the access key is disabled: the gateway refuses it.",
			likelyCause: {
				code: "OTHER",
				text: "The access key is disabled: `sigil key enable ID` turns it back on, or sign with an active key.",
			},
		};
	return checked;
}

/**
 * A signature that is right for its key proves nothing on a route that asks for another
 * scheme (an ACS3 request to an AWS_IAM function URL): the gateway refuses it, and says so.
 */
function wrongScheme(checked: Checked, route: SignedFor): Checked {
	const details = { ...checked.details, route: route.route ?? "(none: 404)" };
	const other = ["sigv4", "acs3", "hmac", "webhook", "basic"];
	if (
		checked.outcome !== "valid" ||
		route.takes === null ||
		route.takes === checked.scheme ||
		!other.includes(route.takes)
	)
		return { ...checked, details };
	return {
		...checked,
		outcome: "refused",
		code: "WRONG_SCHEME",
		message: `The signature is right for its key, but this path takes ${route.takes}, not ${checked.scheme}: the gateway refuses it.`,
		likelyCause: {
			code: "SCHEME",
			text: `The request is signed with ${checked.scheme}, but ${route.route === "trigger" || route.route === "async-function" ? "this function's trigger" : "this route"} requires ${route.takes}: sign it the way the route asks.`,
		},
		details,
	};
}

/** A refused request from the auth log: the diagnosis recorded when it arrived. */
function fromAudit(record: AuditRecord): Checked {
	const detail = (record.detail ?? {}) as {
		message?: unknown;
		diagnosis?: {
			canonicalRequest?: unknown;
			stringToSign?: unknown;
			likelyCause?: unknown;
			details?: unknown;
		};
	};
	const d = detail.diagnosis ?? {};
	const str = (v: unknown) => (typeof v === "string" ? v : undefined);
	const details: Record<string, string | number> = {
		requestId: record.requestId,
		time: new Date(record.time).toISOString(),
		httpStatus: record.httpStatus,
		...(record.functionName !== null && { function: record.functionName }),
	};
	if (typeof d.details === "object" && d.details !== null)
		for (const [k, v] of Object.entries(d.details))
			if (typeof v === "string" || typeof v === "number") details[k] = v;
	return {
		scheme: schemeOfRecord(record.scheme),
		accessKeyId: record.accessKeyId,
		outcome: record.outcome === "SIGNATURE_MISMATCH" ? "mismatch" : "refused",
		code: record.outcome,
		message: str(detail.message) ?? "",
		canonicalRequest: shown(str(d.canonicalRequest)),
		stringToSign: shown(str(d.stringToSign)),
		likelyCause: causeOf(str(d.likelyCause)),
		details,
	};
}

function schemeOfRecord(scheme: string): DebugScheme {
	if (scheme === "acs3" || scheme === "fc") return "acs3";
	if (scheme === "hmac" || scheme === "webhook") return "hmac";
	return "sigv4";
}
