/**
 * Whose signature a debug request asks about, resolved once (the pipeline then authorizes
 * `sigil:DebugSignature` on it and the handler checks that same subject):
 *   - a SigV4 or ACS3 request: the access key it names — a long-term key of the caller's own
 *     account, or a session key whose token opens to a principal of it — authorized on the
 *     key's owner (`user/NAME`, `root`, or the role of a role session);
 *   - a payload-HMAC request: the caller's own function it is addressed to, authorized on the
 *     function;
 *   - an audit record: a refused request in the caller's own log, authorized on the owner of
 *     the key it names (else its function, else the account).
 * A key, function or record that is not the caller account's — whether it exists elsewhere
 * or nowhere — is one and the same DEBUG_SUBJECT_NOT_FOUND: no oracle about other accounts.
 */
import {
	headerValues,
	keyIdSnippet,
	parseAcs3Authorization,
	parseQuery,
	percentDecode,
	singleHeader,
	type WireRequest,
} from "@sigil/signature";
import { SigilError } from "../errors.ts";
import type { DeployedFunction } from "../functions/registry.ts";
import type { GatewayContext } from "../gateway/context.ts";
import {
	functionArn,
	iamArn,
	identityArn,
	type Resolver,
	type Target,
} from "../gateway/targets.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import type { AuditRecord } from "../store/types.ts";
import { signedAt } from "./check-sigv4.ts";
import { type DebugInput, readDebugInput } from "./debug-input.ts";
import { ownTriggerFunction } from "./signed-for.ts";

export type DebugSubject =
	| {
			readonly kind: "key";
			readonly scheme: "sigv4" | "acs3";
			readonly accessKeyId: string;
			readonly secret: string;
			/** A long-term key that is not Active: the gateway refuses it whatever the signature. */
			readonly disabled: boolean;
	  }
	/** A signature whose key id cannot be read: checked for the caller, who sees why it is refused. */
	| { readonly kind: "unreadable"; readonly scheme: "sigv4" | "acs3" }
	| { readonly kind: "hmac"; readonly fn: DeployedFunction }
	| { readonly kind: "audit"; readonly record: AuditRecord };

export interface DebugTarget extends Target {
	readonly kind: "signature-debug";
	readonly input: DebugInput;
	readonly subject: DebugSubject;
}

export const debugSubject: Resolver<DebugTarget> = async ({
	body,
	principal,
	ctx,
}) => {
	const input = readDebugInput(body, ctx);
	const { subject, owner } =
		input.source === "audit"
			? await auditSubject(ctx, principal, input.requestId)
			: await requestSubject(ctx, principal, input.wire);
	return {
		kind: "signature-debug",
		input,
		subject,
		accountId: principal.accountId,
		resource: owner,
	};
};

interface Resolved {
	readonly subject: DebugSubject;
	/** The ARN `sigil:DebugSignature` is authorized on. */
	readonly owner: string;
}

function notFound(what: string): never {
	throw new SigilError(
		"DEBUG_SUBJECT_NOT_FOUND",
		`${what} is not in your account: the debugger explains signatures of your own keys and functions only`,
	);
}

type Scheme =
	| {
			readonly scheme: "sigv4";
			readonly keyId?: string;
			readonly token?: string;
	  }
	| {
			readonly scheme: "acs3";
			readonly keyId?: string;
			readonly token?: string;
	  }
	| { readonly scheme: "none" };

/** Which signature the request carries, and the key id and session token it names. */
export function schemeOf(wire: WireRequest): Scheme {
	const q = wire.target.indexOf("?");
	const query = q === -1 ? [] : parseQuery(wire.target.slice(q + 1));
	// The pairs are canonical (re-encoded): `/` in a credential is `%2F` there.
	const param = (k: string) => {
		const v = query.find((p) => p.key === k)?.value;
		return v === undefined ? undefined : percentDecode(v);
	};
	const auth = headerValues(wire.rawHeaders, "authorization");
	const header = auth.length === 1 ? (auth[0] as string) : undefined;
	const presigned =
		param("X-Amz-Signature") !== undefined ||
		param("X-Amz-Algorithm") !== undefined;
	if (header?.startsWith("AWS4-") || presigned) {
		const credential = presigned
			? param("X-Amz-Credential")
			: /Credential=([^,\s]+)/.exec(header ?? "")?.[1];
		const keyId = credential?.split("/")[0];
		const token = presigned
			? param("X-Amz-Security-Token")
			: (singleHeader(wire.rawHeaders, "x-amz-security-token") ?? undefined);
		return {
			scheme: "sigv4",
			...(keyId && { keyId }),
			...(typeof token === "string" && token !== "" && { token }),
		};
	}
	if (header?.startsWith("ACS3-")) {
		const parsed = parseAcs3Authorization(header);
		const token = singleHeader(wire.rawHeaders, "x-acs-security-token");
		return {
			scheme: "acs3",
			...(parsed.ok && { keyId: parsed.value.accessKeyId }),
			...(typeof token === "string" && token !== "" && { token }),
		};
	}
	return { scheme: "none" };
}

async function requestSubject(
	ctx: GatewayContext,
	principal: IamPrincipal,
	wire: WireRequest,
): Promise<Resolved> {
	const found = schemeOf(wire);
	if (found.scheme === "none") {
		const fn = await ownTriggerFunction(ctx, principal.accountId, wire.target);
		if (fn?.config.trigger.auth === "hmac")
			return { subject: { kind: "hmac", fn }, owner: fn.arn };
		const auth = headerValues(wire.rawHeaders, "authorization")[0] ?? "";
		throw new SigilError(
			"DEBUG_NO_SIGNATURE",
			auth.startsWith("FC ")
				? "the older `FC id:signature` scheme is not explained here; `sigil logs` shows its diagnosis"
				: "the request carries no SigV4 or ACS3 signature, and its path is not /function/NAME of one of your functions with a payload-HMAC trigger",
		);
	}
	// A signature that names no key: the parser's refusal is the answer, for the caller alone.
	if (found.keyId === undefined)
		return {
			subject: { kind: "unreadable", scheme: found.scheme },
			owner: identityArn(principal),
		};
	const quoted = `access key ${keyIdSnippet(found.keyId)}`;
	if (found.token !== undefined) {
		const opened = ctx.sessions.open(
			found.token,
			found.keyId,
			signedAt(wire, ctx.now()),
		);
		if (!opened.ok || opened.claims.accountId !== principal.accountId)
			notFound(quoted);
		const c = opened.claims;
		return {
			subject: {
				kind: "key",
				scheme: found.scheme,
				accessKeyId: found.keyId,
				secret: opened.secretAccessKey,
				disabled: false,
			},
			owner:
				c.roleArn ??
				iamArn(
					c.accountId,
					c.userName === undefined ? "root" : `user/${c.userName}`,
				),
		};
	}
	const resolved = await ctx.credentials.get(found.keyId);
	if (!resolved || resolved.key.accountId !== principal.accountId)
		notFound(quoted);
	const key = resolved.key;
	return {
		subject: {
			kind: "key",
			scheme: found.scheme,
			accessKeyId: key.accessKeyId,
			secret: key.secretAccessKey,
			disabled: key.status !== "Active",
		},
		owner: iamArn(
			key.accountId,
			key.userName === null ? "root" : `user/${key.userName}`,
		),
	};
}

async function auditSubject(
	ctx: GatewayContext,
	principal: IamPrincipal,
	requestId: string,
): Promise<Resolved> {
	await ctx.store.audit.flush();
	const { records } = await ctx.store.audit.query({
		accountId: principal.accountId,
		requestId,
		limit: 10,
	});
	const record = records.find(
		(r) => r.requestId === requestId && r.accountId === principal.accountId,
	);
	if (!record) notFound(`audit record ${requestId}`);
	if (record.outcome === "OK")
		throw new SigilError(
			"DEBUG_INPUT_INVALID",
			`request ${requestId} was not refused: there is no failure to explain`,
		);
	const key = record.accessKeyId
		? await ctx.store.accessKeys.get(record.accessKeyId)
		: undefined;
	const owner =
		key && key.accountId === principal.accountId
			? iamArn(
					key.accountId,
					key.userName === null ? "root" : `user/${key.userName}`,
				)
			: record.functionName
				? functionArn(ctx.region, principal.accountId, record.functionName)
				: iamArn(principal.accountId, "root");
	return { subject: { kind: "audit", record }, owner };
}
