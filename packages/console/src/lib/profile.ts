/**
 * Reads a long-term key pair pasted once into the sign-in form: an AWS credentials-file profile
 * (`aws_access_key_id = …` / `aws_secret_access_key = …`), the JSON `sigil key create --json`
 * or IAM CreateAccessKey prints, or `KEY:SECRET`. Nothing else is kept of the text.
 */
export interface PastedKey {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
}

const KEY_ID = /^(?:AKIA|ASIA)[A-Z0-9]{12,124}$/;
const SECRET = /^[A-Za-z0-9/+=]{16,128}$/;

function valid(
	id: string | undefined,
	secret: string | undefined,
): PastedKey | null {
	if (!id || !secret) return null;
	const accessKeyId = id.trim();
	const secretAccessKey = secret.trim();
	return KEY_ID.test(accessKeyId) && SECRET.test(secretAccessKey)
		? { accessKeyId, secretAccessKey }
		: null;
}

function fromJson(text: string): PastedKey | null {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return null;
	}
	const seen = new Set<unknown>();
	// The pair may sit at the top level or one object down (`{"AccessKey": {...}}`).
	const visit = (v: unknown, depth: number): PastedKey | null => {
		if (!v || typeof v !== "object" || depth > 3 || seen.has(v)) return null;
		seen.add(v);
		const o = v as Record<string, unknown>;
		const id = o.AccessKeyId ?? o.accessKeyId;
		const secret = o.SecretAccessKey ?? o.secretAccessKey;
		if (typeof id === "string" && typeof secret === "string")
			return valid(id, secret);
		for (const child of Object.values(o)) {
			const found = visit(child, depth + 1);
			if (found) return found;
		}
		return null;
	};
	return visit(value, 0);
}

export function parsePastedKey(text: string): PastedKey | null {
	const trimmed = text.trim();
	if (trimmed.length > 8192) return null;
	if (trimmed.startsWith("{")) return fromJson(trimmed);
	const id = /^\s*aws_access_key_id\s*=\s*(\S+)\s*$/im.exec(trimmed)?.[1];
	const secret = /^\s*aws_secret_access_key\s*=\s*(\S+)\s*$/im.exec(
		trimmed,
	)?.[1];
	if (id || secret) return valid(id, secret);
	const pair = /^([A-Z0-9]+):(\S+)$/.exec(trimmed);
	return pair ? valid(pair[1], pair[2]) : null;
}
