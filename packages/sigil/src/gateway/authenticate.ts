/**
 * Phase 2 of the pipeline: who is calling. Each scheme parses what it can without a secret,
 * the key (or named secret) is looked up, then the pure verifier decides. The result is a
 * verified principal, or a failure worded for the caller plus a diagnosis for the key's owner.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import {
	type Diagnosis,
	fcFailure,
	keyIdSnippet,
	parseAcs3,
	parseFcSignature,
	parseSigV4,
	type SignatureFailure,
	type SigningKeyCache,
	verifyAcs3,
	verifyFcSignature,
	verifyPayloadHmac,
	verifySigV4,
	verifyStandardWebhook,
	type WireRequest,
} from "@sigil/signature";
import type { TriggerConfig } from "../config/function-config.ts";
import type { IamPrincipal } from "../iam/principal.ts";
import {
	type SessionPrincipal,
	type SessionTokenCodec,
	sessionPrincipal,
} from "../iam/session-token.ts";
import type { Store } from "../store/store.ts";
import type { CredentialCache } from "./credentials.ts";
import type { Exchange, Principal } from "./exchange.ts";
import type { ReplayGuard } from "./replay-guard.ts";
import { fromCode, type WireError } from "./respond.ts";
import type { TriggerSecretCache } from "./trigger-secrets.ts";

export type AuthOutcome =
	| { readonly ok: true; readonly principal: Principal }
	| {
			readonly ok: false;
			readonly error: WireError;
			/** For the key owner's log only. */
			readonly diagnosis?: Diagnosis;
			/** The account whose log should show this failure, when known. */
			readonly ownerAccountId?: string;
			readonly accessKeyId?: string;
	  };

export interface AuthContext {
	readonly store: Store;
	readonly credentials: CredentialCache;
	/** The secrets of `hmac` and `webhook` triggers (trigger-secrets.ts). */
	readonly triggerSecrets: TriggerSecretCache;
	readonly keyCache: SigningKeyCache;
	readonly replay: ReplayGuard;
	/** Opens STS session tokens (`x-amz-security-token`, `x-acs-security-token`). */
	readonly sessions: SessionTokenCodec;
	readonly region: string;
	readonly maxSkewMs: number;
	readonly now: () => number;
}

const EMPTY_SHA256 =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

export function wireRequestOf(ex: Exchange): WireRequest {
	const bodySha256Hex =
		ex.body.length === 0
			? EMPTY_SHA256
			: createHash("sha256").update(ex.body).digest("hex");
	return {
		method: ex.method,
		target: ex.target,
		rawHeaders: ex.req.rawHeaders,
		body: ex.body,
		bodySha256Hex,
	};
}

function failed(
	f: SignatureFailure,
	extra: { ownerAccountId?: string; accessKeyId?: string } = {},
): AuthOutcome {
	return {
		ok: false,
		error: {
			code: f.code,
			status: f.status,
			message: f.message,
			wireCode: f.wireCode,
		},
		...(f.diagnosis && { diagnosis: f.diagnosis }),
		...extra,
	};
}

function unknownKey(
	accessKeyId: string,
	disabled: boolean,
	dialect: "aws" | "fc",
): AuthOutcome {
	const code = disabled ? "ACCESS_KEY_DISABLED" : "ACCESS_KEY_UNKNOWN";
	// An id no key has is only the caller's text (up to 8 KB of it in SigV4, whatever a garbled
	// header put there): the audit record keeps a bounded snippet, as the FC message quotes one.
	const recorded = keyIdSnippet(accessKeyId);
	// Both ecosystems say the same for an unknown and a disabled key, so an outsider learns nothing more.
	if (dialect === "fc") {
		const f = fcFailure("acs3", "INVALID_ACCESS_KEY_ID", accessKeyId);
		return {
			ok: false,
			error: {
				code,
				status: f.status,
				message: f.message,
				wireCode: f.wireCode,
			},
			accessKeyId: recorded,
		};
	}
	return {
		ok: false,
		error: fromCode(
			code,
			"The security token included in the request is invalid.",
		),
		accessKeyId: recorded,
	};
}

type OpenedForRequest =
	| {
			readonly ok: true;
			readonly secret: string;
			readonly principal: Omit<IamPrincipal, "scheme">;
			/** Whom the session was issued to, checked once the signature is proven. */
			readonly boundTo: SessionPrincipal;
	  }
	| { readonly ok: false; readonly outcome: AuthOutcome };

/**
 * A refused token, worded as AWS words it ("The security token included in the request is
 * expired" / "… is invalid.", FC's own sentences on ACS3). The caller learns nothing about why
 * a token is invalid; the token itself is never part of the answer.
 */
function tokenRefused(
	code: "SESSION_TOKEN_INVALID" | "SESSION_TOKEN_EXPIRED",
	dialect: "aws" | "fc",
	accessKeyId: string,
	owner?: { accountId: string; diagnosis: Diagnosis },
): AuthOutcome {
	const expired = code === "SESSION_TOKEN_EXPIRED";
	const message =
		dialect === "fc"
			? expired
				? "the security token you provided has expired"
				: "the security token you provided is invalid"
			: expired
				? "The security token included in the request is expired"
				: "The security token included in the request is invalid.";
	return {
		ok: false,
		error: fromCode(code, message),
		// Whatever the caller put in the credential, the record keeps a bounded snippet of it.
		accessKeyId: keyIdSnippet(accessKeyId),
		...(owner && {
			ownerAccountId: owner.accountId,
			diagnosis: owner.diagnosis,
		}),
	};
}

/** Opens an STS session token for a request signed with `accessKeyId`. */
function openSession(
	ctx: AuthContext,
	token: string,
	accessKeyId: string,
	dialect: "aws" | "fc",
): OpenedForRequest {
	const opened = ctx.sessions.open(token, accessKeyId, ctx.now());
	if (!opened.ok)
		return {
			ok: false,
			outcome: tokenRefused(opened.code, dialect, accessKeyId),
		};
	const c = opened.claims;
	return {
		ok: true,
		secret: opened.secretAccessKey,
		boundTo: sessionPrincipal(c),
		principal: {
			accountId: c.accountId,
			arn: c.arn,
			userId: c.userId,
			accessKeyId: c.accessKeyId,
			expiresAt: c.expiresAt,
			issuedAt: c.issuedAt,
			...(c.userName !== undefined && { userName: c.userName }),
			...(c.roleName !== undefined && { roleName: c.roleName }),
			...(c.roleArn !== undefined && { roleArn: c.roleArn }),
			...(c.sessionPolicy !== undefined && { sessionPolicy: c.sessionPolicy }),
		},
	};
}

/**
 * A session lives only as long as the principal it was issued to: the user or role must still
 * exist under the unique id sealed in the token, so a deleted principal's sessions end and a
 * namesake created later never inherits them. Refused as AWS refuses an invalid token. Checked
 * after the signature, so only the holder of the session's secret learns the answer. The key
 * that called GetSessionToken is not consulted: as in AWS, deactivating or deleting it leaves
 * its sessions to expire or to be revoked by policy (`aws:TokenIssueTime`).
 */
async function sessionStillBound(
	ctx: AuthContext,
	session: Extract<OpenedForRequest, { ok: true }>,
	accessKeyId: string,
	dialect: "aws" | "fc",
): Promise<AuthOutcome | undefined> {
	const p = session.boundTo;
	if (await ctx.credentials.sessionPrincipalExists(p, ctx.now()))
		return undefined;
	return tokenRefused("SESSION_TOKEN_INVALID", dialect, accessKeyId, {
		accountId: p.accountId,
		diagnosis: {
			likelyCause: `the ${p.kind} this session was issued to no longer exists (deleted, or deleted and created again under the same name); sessions end with their principal`,
			details: { principal: p.name, principalId: p.principalId },
		},
	});
}

/** SigV4 (header or presigned) for the given services, with long-term or STS credentials. */
export async function authenticateSigV4(
	ctx: AuthContext,
	wire: WireRequest,
	services: readonly string[],
): Promise<AuthOutcome> {
	const parsed = parseSigV4(wire, {
		region: ctx.region,
		services,
		now: ctx.now(),
		maxSkewMs: ctx.maxSkewMs,
	});
	if (!parsed.ok) return failed(parsed);
	const { accessKeyId, securityToken } = parsed.request;
	const service = parsed.request.scope.service;
	if (securityToken !== undefined) {
		const session = openSession(ctx, securityToken, accessKeyId, "aws");
		if (!session.ok) return session.outcome;
		const verified = verifySigV4(
			parsed.request,
			{ secretAccessKey: session.secret },
			{ keyCache: ctx.keyCache },
		);
		if (!verified.ok)
			return failed(verified, {
				ownerAccountId: session.principal.accountId,
				accessKeyId,
			});
		const unbound = await sessionStillBound(ctx, session, accessKeyId, "aws");
		if (unbound) return unbound;
		const principal: IamPrincipal = {
			...session.principal,
			scheme: "sigv4",
			signedService: service,
		};
		return { ok: true, principal };
	}
	const resolved = await ctx.credentials.get(accessKeyId);
	if (resolved?.key.status !== "Active")
		return unknownKey(accessKeyId, !!resolved, "aws");
	const verified = verifySigV4(
		parsed.request,
		{ secretAccessKey: resolved.key.secretAccessKey },
		{ keyCache: ctx.keyCache },
	);
	if (!verified.ok)
		return failed(verified, {
			ownerAccountId: resolved.key.accountId,
			accessKeyId,
		});
	void ctx.store.accessKeys.recordUse(accessKeyId, {
		at: ctx.now(),
		scheme: "sigv4",
		service: parsed.request.scope.service,
	});
	const principal: IamPrincipal = {
		...resolved.identity,
		scheme: "sigv4",
		signedService: service,
	};
	return { ok: true, principal };
}

/** ACS3-HMAC-SHA256, or FC's older `FC id:signature` scheme, chosen by the Authorization prefix. */
export async function authenticateAcs3(
	ctx: AuthContext,
	wire: WireRequest,
): Promise<AuthOutcome> {
	const auth = wire.rawHeaders.findIndex(
		(h, i) => i % 2 === 0 && h.toLowerCase() === "authorization",
	);
	const legacy =
		auth !== -1 && (wire.rawHeaders[auth + 1] ?? "").startsWith("FC ");
	const now = ctx.now();
	const parsed = legacy
		? parseFcSignature(wire, { now })
		: parseAcs3(wire, { now });
	if (!parsed.ok) return failed(parsed);
	const { accessKeyId } = parsed.request;
	const token = parsed.request.securityToken;
	if (token) {
		const session = openSession(ctx, token, accessKeyId, "fc");
		if (!session.ok) return session.outcome;
		const secret = { accessKeySecret: session.secret };
		const verified = legacy
			? verifyFcSignature(parsed.request as never, secret)
			: verifyAcs3(parsed.request as never, secret);
		if (!verified.ok)
			return failed(verified, {
				ownerAccountId: session.principal.accountId,
				accessKeyId,
			});
		const unbound = await sessionStillBound(ctx, session, accessKeyId, "fc");
		if (unbound) return unbound;
		return {
			ok: true,
			principal: { ...session.principal, scheme: legacy ? "fc" : "acs3" },
		};
	}
	const resolved = await ctx.credentials.get(accessKeyId);
	if (resolved?.key.status !== "Active")
		return unknownKey(accessKeyId, !!resolved, "fc");
	const secret = { accessKeySecret: resolved.key.secretAccessKey };
	const verified = legacy
		? verifyFcSignature(parsed.request as never, secret)
		: verifyAcs3(parsed.request as never, secret);
	if (!verified.ok)
		return failed(verified, {
			ownerAccountId: resolved.key.accountId,
			accessKeyId,
		});
	const scheme = legacy ? "fc" : "acs3";
	void ctx.store.accessKeys.recordUse(accessKeyId, {
		at: now,
		scheme,
		service: "fc",
	});
	return { ok: true, principal: { ...resolved.identity, scheme } };
}

async function triggerSecrets(
	ctx: AuthContext,
	accountId: string,
	trigger: TriggerConfig,
): Promise<Buffer[]> {
	const values: Buffer[] = [];
	for (const name of trigger.secrets) {
		const value = await ctx.triggerSecrets.get(accountId, name);
		if (value) values.push(value);
	}
	return values;
}

function sharedSecretPrincipal(
	accountId: string,
	functionName: string,
	scheme: "hmac" | "webhook",
): Principal {
	// A shared-secret caller has no IAM identity: it acts as the function's own trigger.
	return {
		accountId,
		arn: `arn:aws:lambda:::function:${functionName}/trigger`,
		userId: `${scheme}:${functionName}`,
		accessKeyId: "",
		scheme,
	};
}

/** Payload HMAC (faas-cli `--sign`, GitHub X-Hub-Signature-256) with the trigger's named secrets. */
export async function authenticateHmac(
	ctx: AuthContext,
	wire: WireRequest,
	accountId: string,
	functionName: string,
	trigger: TriggerConfig,
): Promise<AuthOutcome> {
	const secrets = await triggerSecrets(ctx, accountId, trigger);
	const result = verifyPayloadHmac(wire, {
		header: trigger.header,
		secrets,
		algorithms: trigger.algorithms,
	});
	if (!result.ok) return failed(result, { ownerAccountId: accountId });
	return {
		ok: true,
		principal: sharedSecretPrincipal(accountId, functionName, "hmac"),
	};
}

/** Standard Webhooks, with the timestamp tolerance and a memory of accepted ids against replay. */
export async function authenticateWebhook(
	ctx: AuthContext,
	wire: WireRequest,
	accountId: string,
	functionName: string,
	trigger: TriggerConfig,
): Promise<AuthOutcome> {
	const secrets = await triggerSecrets(ctx, accountId, trigger);
	const now = ctx.now();
	const result = verifyStandardWebhook(wire, {
		secrets,
		now,
		toleranceSeconds: Math.round(trigger.toleranceMs / 1000),
	});
	if (!result.ok) return failed(result, { ownerAccountId: accountId });
	// Kept in the store until the timestamp could no longer pass the tolerance check, so a restart
	// forgets nothing: twice the tolerance covers a timestamp at the far edge either way, and 2 s
	// the whole-second timestamps and the tolerance rounded to seconds.
	if (
		!(await ctx.replay.firstSighting(
			`webhook:${accountId}:${functionName}`,
			result.webhookId,
			now + trigger.toleranceMs * 2 + 2_000,
			now,
		))
	) {
		return {
			ok: false,
			error: fromCode(
				"REPLAYED_REQUEST",
				`webhook ${result.webhookId} was already delivered; a replay is refused`,
			),
			ownerAccountId: accountId,
		};
	}
	return {
		ok: true,
		principal: sharedSecretPrincipal(accountId, functionName, "webhook"),
	};
}

/** What a basic-auth challenge says (RFC 7617); the pipeline sends it with every 401 of a basic route. */
export const BASIC_CHALLENGE = 'Basic realm="sigil", charset="UTF-8"';

/** Longest `Authorization: Basic …` value looked at: an access key id, its secret and base64. */
const MAX_BASIC_HEADER = 1024;

/** The 401 of a basic route; one wording for an unknown key, a disabled key and a wrong secret. */
function basicRefused(
	missing: boolean,
	extra: {
		ownerAccountId?: string;
		accessKeyId?: string;
		likelyCause?: string;
	} = {},
): AuthOutcome {
	const { likelyCause, ...owner } = extra;
	return {
		ok: false,
		error: missing
			? {
					code: "SIGNATURE_REQUIRED",
					status: 401,
					message:
						"this API requires HTTP basic auth: user = access key id, password = secret access key (faas-cli login -u AKID --password-stdin)",
				}
			: {
					code: "SIGNATURE_MISMATCH",
					status: 401,
					message:
						"invalid credentials: the user must be an active access key id and the password its secret access key",
				},
		...(likelyCause && { diagnosis: { likelyCause } }),
		...owner,
	};
}

/**
 * HTTP basic auth for OpenFaaS's gateway API (faas-cli login): user = access key id, password =
 * its secret access key, compared in constant time (both sides hashed first, so the length of
 * the stored secret does not show either). Only long-term keys: a session token has no field
 * here. The password never leaves this function — not in the answer, the log or the audit record.
 */
export async function authenticateBasic(
	ctx: AuthContext,
	authorization: string | undefined,
): Promise<AuthOutcome> {
	if (authorization === undefined) return basicRefused(true);
	const m = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(
		authorization.length > MAX_BASIC_HEADER ? "" : authorization,
	);
	if (!m) return basicRefused(true);
	const decoded = Buffer.from(m[1] as string, "base64").toString("utf8");
	const colon = decoded.indexOf(":");
	if (colon <= 0) return basicRefused(false);
	const accessKeyId = decoded.slice(0, colon);
	const password = decoded.slice(colon + 1);
	const resolved = /^[A-Z0-9]{16,128}$/.test(accessKeyId)
		? await ctx.credentials.get(accessKeyId)
		: undefined;
	const digest = (v: string) => createHash("sha256").update(v, "utf8").digest();
	// Compared even for an unknown key, against a value no key has: the time taken says nothing.
	const same = timingSafeEqual(
		digest(password),
		digest(resolved?.key.secretAccessKey ?? `\0unknown:${accessKeyId}`),
	);
	if (!resolved)
		return basicRefused(false, { accessKeyId: keyIdSnippet(accessKeyId) });
	if (!same || resolved.key.status !== "Active")
		return basicRefused(false, {
			ownerAccountId: resolved.key.accountId,
			accessKeyId,
			likelyCause: !same
				? "the password is not this access key's secret access key"
				: "the access key is disabled (`sigil key enable ID` turns it back on)",
		});
	void ctx.store.accessKeys.recordUse(accessKeyId, {
		at: ctx.now(),
		scheme: "basic",
		service: "openfaas",
	});
	const principal: IamPrincipal = { ...resolved.identity, scheme: "basic" };
	return { ok: true, principal };
}
