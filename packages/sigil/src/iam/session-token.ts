/**
 * Stateless STS session tokens (DESIGN.md "Temporary credentials"). A token is the AES-256-GCM
 * sealing of the session's claims under a key derived from the master key; nothing is stored.
 * The temporary secret is never in the token: it is HMAC(secret-key, nonce) where the nonce is a
 * sealed claim, so only a gateway holding the master key can recompute it from the token.
 *
 *   token  = "SGL2" + base64url(iv[12] ‖ ciphertext ‖ tag[16]), AAD "SGL2"
 *   seal   = HKDF-SHA256(master, salt "sigil-sts", info "session-token-seal-v2")
 *   key id = "ASIA" + 16 base32 characters (sealed too, and checked against the request's)
 *
 * The claims name the principal by its unique id (`AIDA…` for a user, `AROA…` for a role, the
 * account id for root) and carry the issue time: a name can be deleted and given to someone
 * else, an id cannot, so whoever uses the session checks that the id still stands behind the
 * name (gateway/authenticate.ts), and `aws:TokenIssueTime` lets a policy revoke older sessions.
 *
 * Opening checks, in order: shape and authentication (tampered, foreign, `SGL1` tokens from
 * before sessions were bound, or any body not of the shape below → SESSION_TOKEN_INVALID), the
 * key id the request was signed with equals the sealed one (else INVALID), expiry
 * (→ SESSION_TOKEN_EXPIRED).
 */
import {
	createCipheriv,
	createDecipheriv,
	createHmac,
	hkdfSync,
	randomBytes,
} from "node:crypto";

/** v2: claims bound to the principal's unique id. v1 tokens (`SGL1`) no longer open. */
const PREFIX = "SGL2";
const AAD = Buffer.from(PREFIX);
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** Far above any real token (the session policy is at most 2,048 characters). */
const MAX_TOKEN_CHARS = 8192;
const ACCOUNT_ID = /^\d{12}$/;
const USER_ID = /^AIDA[A-Z0-9]+$/;
const ROLE_ID = /^AROA[A-Z0-9]+$/;

/** Who the session acts as, and what narrows it. */
export interface SessionClaims {
	/** `ASIA…` key id of this session. */
	readonly accessKeyId: string;
	readonly accountId: string;
	/** `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, or the user/root ARN for GetSessionToken. */
	readonly arn: string;
	/** `AROA…:SESSION`, `AIDA…` or the account id (what `aws:userid` says). */
	readonly userId: string;
	/**
	 * The unique id of the principal the session was issued to: the user's `AIDA…`, the role's
	 * `AROA…`, or the account id for a root session. The session is valid only while this id
	 * still stands behind the name.
	 */
	readonly principalId: string;
	readonly type: "AssumedRole" | "User" | "Account";
	readonly userName?: string;
	/** For role sessions: the role's name and ARN (identity policies are the role's). */
	readonly roleName?: string;
	readonly roleArn?: string;
	/** Session policy JSON (AssumeRole `Policy`), intersected with the role's policies. */
	readonly sessionPolicy?: string;
	/** The long-term key that asked for the session (audit only: it does not bound the session). */
	readonly sourceAccessKeyId?: string;
	/** Epoch ms. */
	readonly expiresAt: number;
	/** Epoch ms; `aws:TokenIssueTime`. */
	readonly issuedAt: number;
}

/** What STS states when it issues; `principalId` defaults to the one `userId` names. */
export type SessionRequest = Omit<
	SessionClaims,
	"accessKeyId" | "issuedAt" | "principalId"
> & { readonly principalId?: string };

export interface IssuedSession {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly sessionToken: string;
	readonly expiresAt: number;
}

export type OpenedSession =
	| {
			readonly ok: true;
			readonly claims: SessionClaims;
			readonly secretAccessKey: string;
	  }
	| {
			readonly ok: false;
			readonly code: "SESSION_TOKEN_INVALID" | "SESSION_TOKEN_EXPIRED";
	  };

/** The store entity a session stands for: what must still exist, under that id, at each use. */
export interface SessionPrincipal {
	readonly kind: "user" | "role" | "account";
	readonly accountId: string;
	/** The user or role name; the account id for root. */
	readonly name: string;
	readonly principalId: string;
}

function base32(bytes: Buffer): string {
	let out = "";
	for (const b of bytes) out += BASE32[b & 31];
	return out;
}

/**
 * The unique id `userId` names for a session of `type` (IAM User Guide, "Unique identifiers":
 * a role session's `aws:userid` is `AROA…:SESSION`), or undefined when it names none.
 */
function principalIdIn(
	type: SessionClaims["type"],
	userId: string,
	accountId: string,
): string | undefined {
	if (type === "Account") return userId === accountId ? accountId : undefined;
	const id = type === "AssumedRole" ? userId.split(":", 1)[0] : userId;
	return id !== undefined && (type === "User" ? USER_ID : ROLE_ID).test(id)
		? id
		: undefined;
}

const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown) => v === undefined || typeof v === "string";
const time = (v: unknown): v is number =>
	typeof v === "number" && Number.isFinite(v);

/**
 * Whether an authenticated body has the v2 shape. The seal proves the gateway wrote it, so this
 * guards against our own mistakes and old bodies, never against forgery; but a body that fails
 * it is refused, never half-trusted.
 */
function isClaims(b: Record<string, unknown>): boolean {
	if (
		!str(b.accessKeyId) ||
		!str(b.accountId) ||
		!ACCOUNT_ID.test(b.accountId) ||
		!str(b.arn) ||
		!str(b.userId) ||
		!str(b.principalId) ||
		!time(b.expiresAt) ||
		!time(b.issuedAt) ||
		!optStr(b.userName) ||
		!optStr(b.roleName) ||
		!optStr(b.roleArn) ||
		!optStr(b.sessionPolicy) ||
		!optStr(b.sourceAccessKeyId)
	)
		return false;
	if (b.type === "User") {
		if (!str(b.userName)) return false;
	} else if (b.type === "AssumedRole") {
		if (!str(b.roleName) || !str(b.roleArn)) return false;
	} else if (b.type !== "Account") return false;
	return principalIdIn(b.type, b.userId, b.accountId) === b.principalId;
}

/** The entity whose existence, under the sealed id, keeps the session valid. */
export function sessionPrincipal(c: SessionClaims): SessionPrincipal {
	const kind =
		c.type === "User" ? "user" : c.type === "AssumedRole" ? "role" : "account";
	const name =
		c.type === "User"
			? (c.userName as string)
			: c.type === "AssumedRole"
				? (c.roleName as string)
				: c.accountId;
	return { kind, accountId: c.accountId, name, principalId: c.principalId };
}

/** Seals and opens session tokens under keys derived (HKDF-SHA256) from the master key. */
export class SessionTokenCodec {
	readonly #sealKey: Buffer;
	readonly #secretKey: Buffer;

	constructor(masterKey: Buffer) {
		// Separate keys per purpose, so the sealing key never doubles as an HMAC key. The seal key
		// is per format version, so a token of one version can never open as another.
		this.#sealKey = Buffer.from(
			hkdfSync("sha256", masterKey, "sigil-sts", "session-token-seal-v2", 32),
		);
		this.#secretKey = Buffer.from(
			hkdfSync("sha256", masterKey, "sigil-sts", "session-secret-v1", 32),
		);
	}

	/**
	 * Issues a session: a fresh `ASIA…` id, the sealed token and the derived secret. Throws when
	 * the claims do not name their principal consistently (a caller's bug: a session that could
	 * never be checked must not be handed out).
	 */
	issue(request: SessionRequest, now: number): IssuedSession {
		const accessKeyId = `ASIA${base32(randomBytes(16))}`;
		const nonce = randomBytes(16).toString("base64url");
		const principalId =
			request.principalId ??
			principalIdIn(request.type, request.userId, request.accountId);
		const body = {
			...request,
			principalId,
			accessKeyId,
			issuedAt: now,
			n: nonce,
		};
		if (!isClaims(body))
			throw new Error(
				`session claims for ${request.arn} do not name their principal by its unique id`,
			);
		const iv = randomBytes(12);
		const cipher = createCipheriv("aes-256-gcm", this.#sealKey, iv);
		cipher.setAAD(AAD);
		const sealed = Buffer.concat([
			iv,
			cipher.update(JSON.stringify(body), "utf8"),
			cipher.final(),
			cipher.getAuthTag(),
		]);
		return {
			accessKeyId,
			secretAccessKey: this.#secretOf(accessKeyId, nonce),
			sessionToken: PREFIX + sealed.toString("base64url"),
			expiresAt: request.expiresAt,
		};
	}

	/** Opens `token` for a request signed with `accessKeyId` at `now`. Never throws. */
	open(token: string, accessKeyId: string, now: number): OpenedSession {
		const invalid = { ok: false, code: "SESSION_TOKEN_INVALID" } as const;
		if (!token.startsWith(PREFIX) || token.length > MAX_TOKEN_CHARS)
			return invalid;
		const text = token.slice(PREFIX.length);
		const raw = Buffer.from(text, "base64url");
		// Node's decoder skips characters outside the alphabet and ignores unused trailing bits;
		// re-encoding tells, so only the exact spelling that was issued opens and a token has one
		// form (in logs, in caches, when compared).
		if (raw.length < 12 + 16 + 2 || raw.toString("base64url") !== text)
			return invalid;
		let body: unknown;
		try {
			const decipher = createDecipheriv(
				"aes-256-gcm",
				this.#sealKey,
				raw.subarray(0, 12),
			);
			decipher.setAAD(AAD);
			decipher.setAuthTag(raw.subarray(raw.length - 16));
			const plain = Buffer.concat([
				decipher.update(raw.subarray(12, raw.length - 16)),
				decipher.final(),
			]);
			body = JSON.parse(plain.toString("utf8"));
		} catch {
			return invalid;
		}
		if (body === null || typeof body !== "object" || Array.isArray(body))
			return invalid;
		const { n, ...claims } = body as Record<string, unknown>;
		// Authenticated, so the fields are ours; the key id must be the one the request names.
		if (typeof n !== "string" || !isClaims(claims)) return invalid;
		const typed = claims as unknown as SessionClaims;
		if (typed.accessKeyId !== accessKeyId) return invalid;
		if (!(typed.expiresAt > now))
			return { ok: false, code: "SESSION_TOKEN_EXPIRED" };
		return {
			ok: true,
			claims: typed,
			secretAccessKey: this.#secretOf(accessKeyId, n),
		};
	}

	#secretOf(accessKeyId: string, nonce: string): string {
		return createHmac("sha256", this.#secretKey)
			.update(`${accessKeyId}\n${nonce}`)
			.digest("base64")
			.slice(0, 40);
	}
}
