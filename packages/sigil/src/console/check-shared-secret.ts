/**
 * The debugger's ACS3 and payload-HMAC checks: the verifiers authenticate.ts runs, with the
 * same options, as of the request's own date (ACS3) — the HMAC of a body has no date.
 */
import {
	type HmacAlgorithm,
	parseAcs3,
	singleHeader,
	verifyAcs3,
	verifyPayloadHmac,
	type WireRequest,
} from "@sigil/signature";
import { type Checked, causeOf, shown } from "./debug-answer.ts";
import { REFUSAL_CAUSES } from "./likely-cause.ts";

export interface Acs3Check {
	readonly wire: WireRequest;
	readonly accessKeyId: string;
	readonly accessKeySecret: string;
	readonly now: number;
}

/** x-acs-date as epoch ms, or `now` when absent or unreadable (the parser then says why). */
function acsDate(wire: WireRequest, now: number): number {
	const value = singleHeader(wire.rawHeaders, "x-acs-date");
	if (typeof value !== "string") return now;
	const t = Date.parse(value);
	return Number.isNaN(t) ? now : t;
}

export function checkAcs3(c: Acs3Check): Checked {
	const at = acsDate(c.wire, c.now);
	const base = { scheme: "acs3" as const, accessKeyId: c.accessKeyId };
	const timing = {
		checkedAsOf: new Date(at).toISOString(),
		clockOffsetSeconds: Math.round((at - c.now) / 1000),
	};
	const parsed = parseAcs3(c.wire, { now: at });
	if (!parsed.ok)
		return {
			...base,
			outcome: "refused",
			code: parsed.code,
			message: parsed.message,
			canonicalRequest: shown(parsed.diagnosis?.canonicalRequest),
			stringToSign: shown(parsed.diagnosis?.stringToSign),
			likelyCause:
				causeOf(parsed.diagnosis?.likelyCause) ??
				REFUSAL_CAUSES[parsed.code]?.({}) ??
				null,
			details: { ...(parsed.diagnosis?.details ?? {}), ...timing },
		};
	const request = parsed.request;
	const verified = verifyAcs3(request, { accessKeySecret: c.accessKeySecret });
	const facts = {
		mode: request.mode,
		signedHeaders: request.signedHeaders.join(";"),
		...(request.securityToken !== undefined && {
			sessionToken: "present (not shown)",
		}),
		...timing,
	};
	if (verified.ok)
		return {
			...base,
			outcome: "valid",
			code: "OK",
			message: "The signature is valid for this AccessKey's secret.",
			canonicalRequest: shown(request.canonicalRequest),
			stringToSign: shown(request.stringToSign),
			likelyCause: null,
			details: facts,
		};
	return {
		...base,
		outcome: "mismatch",
		code: verified.code,
		message: verified.message,
		canonicalRequest: shown(verified.diagnosis?.canonicalRequest),
		stringToSign: shown(verified.diagnosis?.stringToSign),
		likelyCause: causeOf(verified.diagnosis?.likelyCause),
		details: facts,
	};
}

export interface HmacCheck {
	readonly wire: WireRequest;
	readonly header: string;
	readonly algorithms: readonly HmacAlgorithm[];
	/** The trigger's active secrets (several during a rotation). */
	readonly secrets: readonly Buffer[];
	readonly functionName: string;
}

/** Payload HMAC: the signature is over the body itself, so there is no canonical text to show. */
export function checkHmac(c: HmacCheck): Checked {
	const result = verifyPayloadHmac(c.wire, {
		header: c.header,
		secrets: c.secrets,
		algorithms: c.algorithms,
	});
	const base = {
		scheme: "hmac" as const,
		accessKeyId: null,
		canonicalRequest: null,
		stringToSign: null,
	};
	const facts = {
		function: c.functionName,
		header: c.header,
		bodyBytes: c.wire.body.length,
		activeSecrets: c.secrets.length,
	};
	if (result.ok)
		return {
			...base,
			outcome: "valid",
			code: "OK",
			message: `The ${c.header} header is a valid ${result.algorithm} HMAC of the body under one of the trigger's secrets.`,
			likelyCause: null,
			details: { ...facts, algorithm: result.algorithm },
		};
	return {
		...base,
		outcome: result.code === "SIGNATURE_MISMATCH" ? "mismatch" : "refused",
		code: result.code,
		message: result.message,
		likelyCause: causeOf(result.diagnosis?.likelyCause),
		details: { ...(result.diagnosis?.details ?? {}), ...facts },
	};
}
