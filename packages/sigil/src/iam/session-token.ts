/**
 * Stateless STS session tokens (DESIGN.md "Temporary credentials"). A token is the AES-256-GCM
 * sealing of the session's claims under a key derived from the master key; nothing is stored.
 * The temporary secret is never in the token: it is HMAC(secret-key, nonce) where the nonce is a
 * sealed claim, so only a gateway holding the master key can recompute it from the token.
 *
 *   token  = "SGL1" + base64url(iv[12] ‖ ciphertext ‖ tag[16])
 *   key id = "ASIA" + 16 base32 characters (sealed too, and bound as AAD-checked claim)
 *
 * Opening checks, in order: shape and authentication (tampered → SESSION_TOKEN_INVALID), the
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

const PREFIX = "SGL1";
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Who the session acts as, and what narrows it. */
export interface SessionClaims {
	/** `ASIA…` key id of this session. */
	readonly accessKeyId: string;
	readonly accountId: string;
	/** `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, or the user/root ARN for GetSessionToken. */
	readonly arn: string;
	/** `AROA…:SESSION`, `AIDA…` or the account id. */
	readonly userId: string;
	readonly type: "AssumedRole" | "User" | "Account";
	readonly userName?: string;
	/** For role sessions: the role's name and ARN (identity policies are the role's). */
	readonly roleName?: string;
	readonly roleArn?: string;
	/** Session policy JSON (AssumeRole `Policy`), intersected with the role's policies. */
	readonly sessionPolicy?: string;
	/** The long-term key that asked for the session (audit only). */
	readonly sourceAccessKeyId?: string;
	/** Epoch ms. */
	readonly expiresAt: number;
	readonly issuedAt: number;
}

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

function base32(bytes: Buffer): string {
	let out = "";
	for (const b of bytes) out += BASE32[b & 31];
	return out;
}

/** Seals and opens session tokens under keys derived (HKDF-SHA256) from the master key. */
export class SessionTokenCodec {
	readonly #sealKey: Buffer;
	readonly #secretKey: Buffer;

	constructor(masterKey: Buffer) {
		// Separate keys per purpose, so the sealing key never doubles as an HMAC key.
		this.#sealKey = Buffer.from(
			hkdfSync("sha256", masterKey, "sigil-sts", "session-token-seal-v1", 32),
		);
		this.#secretKey = Buffer.from(
			hkdfSync("sha256", masterKey, "sigil-sts", "session-secret-v1", 32),
		);
	}

	/** Issues a session: a fresh `ASIA…` id, the sealed token and the derived secret. */
	issue(
		claims: Omit<SessionClaims, "accessKeyId" | "issuedAt">,
		now: number,
	): IssuedSession {
		const accessKeyId = `ASIA${base32(randomBytes(16))}`;
		const nonce = randomBytes(16).toString("base64url");
		const body = { ...claims, accessKeyId, issuedAt: now, n: nonce };
		const iv = randomBytes(12);
		const cipher = createCipheriv("aes-256-gcm", this.#sealKey, iv);
		cipher.setAAD(Buffer.from(PREFIX));
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
			expiresAt: claims.expiresAt,
		};
	}

	/** Opens `token` for a request signed with `accessKeyId` at `now`. */
	open(token: string, accessKeyId: string, now: number): OpenedSession {
		const invalid = { ok: false, code: "SESSION_TOKEN_INVALID" } as const;
		if (!token.startsWith(PREFIX) || token.length > 8192) return invalid;
		const raw = Buffer.from(token.slice(PREFIX.length), "base64url");
		if (raw.length < 12 + 16 + 2) return invalid;
		let body: Record<string, unknown>;
		try {
			const decipher = createDecipheriv(
				"aes-256-gcm",
				this.#sealKey,
				raw.subarray(0, 12),
			);
			decipher.setAAD(Buffer.from(PREFIX));
			decipher.setAuthTag(raw.subarray(raw.length - 16));
			const plain = Buffer.concat([
				decipher.update(raw.subarray(12, raw.length - 16)),
				decipher.final(),
			]);
			body = JSON.parse(plain.toString("utf8")) as Record<string, unknown>;
		} catch {
			return invalid;
		}
		// Authenticated, so the fields are ours; the key id must be the one the request names.
		if (body.accessKeyId !== accessKeyId || typeof body.n !== "string")
			return invalid;
		const { n, ...claims } = body;
		const typed = claims as unknown as SessionClaims;
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
