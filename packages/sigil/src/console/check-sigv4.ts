/**
 * The debugger's SigV4 check: the gateway's own parser and verifier (what authenticate.ts
 * runs), as of the request's own date. A refusal the parser makes before any signature
 * comparison — wrong region or service in the scope — is then examined further: the request
 * is re-verified under the client's own scope, so the answer can say "signed for eu-west-1"
 * with certainty, and show the string to sign the gateway expected instead.
 */
import {
	canonicalRequest,
	credentialScope,
	hashCanonicalRequest,
	type ParsedSigV4,
	parseAmzDate,
	parseHttpDate,
	parseQuery,
	parseSigV4,
	percentDecode,
	type SignatureFailure,
	singleHeader,
	stringToSign,
	verifySigV4,
	type WireRequest,
} from "@sigil/signature";
import { type Checked, causeOf, shown } from "./debug-answer.ts";
import { REFUSAL_CAUSES } from "./likely-cause.ts";

export interface SigV4Expectation {
	/** The region the gateway verifies this path with (IAM/STS: us-east-1 when signed for it). */
	readonly region: string;
	/** The services the addressed route accepts in the scope. */
	readonly services: readonly string[];
}

export interface SigV4Check {
	readonly wire: WireRequest;
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly expect: SigV4Expectation;
	readonly now: number;
	readonly maxSkewMs: number;
}

/** When the request says it was signed: X-Amz-Date (header or query), else Date; else now. */
export function signedAt(wire: WireRequest, now: number): number {
	const q = wire.target.indexOf("?");
	const query = q === -1 ? [] : parseQuery(wire.target.slice(q + 1));
	const amz =
		query.find((p) => p.key === "X-Amz-Date")?.value ??
		singleHeader(wire.rawHeaders, "x-amz-date") ??
		undefined;
	if (typeof amz === "string") return parseAmzDate(amz) ?? now;
	const date = singleHeader(wire.rawHeaders, "date");
	return typeof date === "string" ? (parseHttpDate(date) ?? now) : now;
}

export function checkSigV4(c: SigV4Check): Checked {
	const at = signedAt(c.wire, c.now);
	const opts = { now: at, maxSkewMs: c.maxSkewMs };
	const parsed = parseSigV4(c.wire, { ...opts, ...c.expect });
	const base = {
		scheme: "sigv4" as const,
		accessKeyId: c.accessKeyId,
	};
	const timing = {
		checkedAsOf: new Date(at).toISOString(),
		clockOffsetSeconds: Math.round((at - c.now) / 1000),
	};
	if (!parsed.ok) {
		if (parsed.code === "SCOPE_REGION" || parsed.code === "SCOPE_SERVICE") {
			const explained = underClientScope(c, parsed, opts);
			if (explained)
				return {
					...base,
					...explained,
					details: { ...explained.details, ...timing },
				};
		}
		return {
			...base,
			outcome: "refused",
			code: parsed.code,
			message: parsed.message,
			canonicalRequest: shown(parsed.diagnosis?.canonicalRequest),
			stringToSign: shown(parsed.diagnosis?.stringToSign),
			likelyCause:
				REFUSAL_CAUSES[parsed.code]?.({}) ??
				causeOf(parsed.diagnosis?.likelyCause),
			details: { ...numbersOf(parsed.diagnosis?.details), ...timing },
		};
	}
	const request = parsed.request;
	const verified = verifySigV4(request, { secretAccessKey: c.secretAccessKey });
	const facts = { ...factsOf(request), ...timing };
	if (verified.ok) {
		const texts = textsOf(request, request.credentialScope);
		return {
			...base,
			form: request.form,
			outcome: "valid",
			code: "OK",
			message: "The signature is valid for this access key's secret.",
			canonicalRequest: shown(texts.canonical),
			stringToSign: shown(texts.toSign),
			likelyCause: null,
			details: facts,
		};
	}
	return {
		...base,
		form: request.form,
		outcome: "mismatch",
		code: verified.code,
		message: verified.message,
		canonicalRequest: shown(verified.diagnosis?.canonicalRequest),
		stringToSign: shown(verified.diagnosis?.stringToSign),
		likelyCause: causeOf(verified.diagnosis?.likelyCause),
		details: { ...numbersOf(verified.diagnosis?.details), ...facts },
	};
}

/**
 * A scope refusal (region, service), re-checked under the client's own scope: the canonical
 * request is the same either way; the string to sign the gateway wanted has its own scope.
 */
function underClientScope(
	c: SigV4Check,
	refusal: SignatureFailure,
	opts: { now: number; maxSkewMs: number },
): Omit<Checked, "scheme" | "accessKeyId"> | undefined {
	const scope = clientScope(c.wire);
	if (!scope) return undefined;
	const again = parseSigV4(c.wire, {
		...opts,
		region: scope.region,
		services: [scope.service],
	});
	if (!again.ok) return undefined;
	const request = again.request;
	const expectedService = c.expect.services.includes(scope.service)
		? scope.service
		: (c.expect.services[0] ?? scope.service);
	const wanted = credentialScope(scope.date, c.expect.region, expectedService);
	const texts = textsOf(request, wanted);
	const signatureOk = verifySigV4(request, {
		secretAccessKey: c.secretAccessKey,
	}).ok;
	const cause = REFUSAL_CAUSES[refusal.code]?.({
		region: scope.region,
		service: scope.service,
		expected:
			refusal.code === "SCOPE_REGION"
				? c.expect.region
				: c.expect.services.map((s) => `'${s}'`).join(" or "),
	});
	return {
		form: request.form,
		outcome: "refused",
		code: refusal.code,
		message: refusal.message,
		canonicalRequest: shown(texts.canonical),
		stringToSign: shown(texts.toSign),
		likelyCause: cause
			? {
					code: cause.code,
					text: signatureOk
						? `${cause.text} The signature itself is right for that scope: only the scope is wrong.`
						: `${cause.text} The signature does not match under the client's scope either: check the secret too.`,
				}
			: null,
		details: {
			...factsOf(request),
			receivedScope: request.credentialScope,
			expectedScope: wanted,
			signatureValidForReceivedScope: signatureOk ? "yes" : "no",
		},
	};
}

/** The date, region and service of the request's SigV4 credential, as the client wrote them. */
export function clientScope(
	wire: WireRequest,
): { date: string; region: string; service: string } | undefined {
	const q = wire.target.indexOf("?");
	const fromQuery =
		q === -1
			? undefined
			: parseQuery(wire.target.slice(q + 1)).find(
					(p) => p.key === "X-Amz-Credential",
				)?.value;
	const auth = singleHeader(wire.rawHeaders, "authorization");
	const fromHeader =
		typeof auth === "string"
			? /Credential=([^,\s]+)/.exec(auth)?.[1]
			: undefined;
	const credential =
		fromQuery === undefined ? fromHeader : percentDecode(fromQuery);
	const parts = credential?.split("/");
	if (parts?.length !== 5) return undefined;
	const [, date, region, service] = parts as [
		string,
		string,
		string,
		string,
		string,
	];
	return { date, region, service };
}

/** The gateway's canonical request and its string to sign under `scope`. */
function textsOf(
	request: ParsedSigV4,
	scope: string,
): { canonical: string; toSign: string } {
	const k = request.canonical;
	const canonical = canonicalRequest({
		method: k.method,
		uri: k.uri,
		query: k.query,
		headers: k.headers,
		signedHeaders: k.signedHeaders,
		payloadHash: request.payloadHash,
	});
	return {
		canonical,
		toSign: stringToSign(
			request.amzDate,
			scope,
			hashCanonicalRequest(canonical, k.headerWidth),
		),
	};
}

function factsOf(request: ParsedSigV4): Record<string, string | number> {
	return {
		form: request.form,
		credentialScope: request.credentialScope,
		signedHeaders: request.canonical.signedHeaders,
		...(request.securityToken !== undefined && {
			sessionToken: "present (not shown)",
		}),
	};
}

function numbersOf(
	d: Readonly<Record<string, string | number>> | undefined,
): Record<string, string | number> {
	return { ...(d ?? {}) };
}
