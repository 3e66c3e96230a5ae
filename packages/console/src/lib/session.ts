/**
 * The signed-in session: temporary credentials from STS GetSessionToken, the region they sign
 * for, and who they belong to. Kept in memory and in sessionStorage (which dies with the tab),
 * never in localStorage; the long-term key pair that obtained them is never stored at all.
 */
export interface Session {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
	readonly sessionToken: string;
	/** ISO time the credentials stop working. */
	readonly expiration: string;
	readonly region: string;
	readonly arn: string;
	readonly account: string;
}

const STORAGE_KEY = "sigil.console.session";

function isSession(v: unknown): v is Session {
	if (!v || typeof v !== "object") return false;
	const o = v as Record<string, unknown>;
	return [
		"accessKeyId",
		"secretAccessKey",
		"sessionToken",
		"expiration",
		"region",
		"arn",
		"account",
	].every((k) => typeof o[k] === "string");
}

export function loadSession(storage: Storage, now: number): Session | null {
	const text = storage.getItem(STORAGE_KEY);
	if (text === null) return null;
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		value = null;
	}
	// A long-term key (AKIA…) is never accepted from storage, whatever put it there.
	if (
		!isSession(value) ||
		!value.accessKeyId.startsWith("ASIA") ||
		Date.parse(value.expiration) <= now
	) {
		storage.removeItem(STORAGE_KEY);
		return null;
	}
	return value;
}

export function saveSession(storage: Storage, session: Session): void {
	storage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage): void {
	storage.removeItem(STORAGE_KEY);
}
