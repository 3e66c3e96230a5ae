/**
 * What the signature debugger answers (docs/console.md): the outcome, the gateway's own
 * canonical request and string to sign, the likely cause and, when the client's texts were
 * pasted too, where they differ. Built only from what the key's owner already sees in
 * `sigil logs`: never the secret, the signing key or the signature the gateway expected.
 */
import { redactTokens } from "@sigil/signature";
import {
	canonicalRequestDifferences,
	type Difference,
	stringToSignDifferences,
} from "./canonical-diff.ts";
import { classifyCause, type LikelyCause } from "./likely-cause.ts";

export type DebugScheme = "sigv4" | "acs3" | "hmac";

export interface DebugAnswer {
	readonly scheme: DebugScheme;
	readonly form?: "header" | "query";
	readonly accessKeyId: string | null;
	readonly outcome: "valid" | "mismatch" | "refused";
	readonly code: string;
	readonly message: string;
	readonly canonicalRequest: string | null;
	readonly stringToSign: string | null;
	readonly likelyCause: LikelyCause | null;
	readonly differences: readonly Difference[] | null;
	readonly details: Readonly<Record<string, string | number>>;
}

/** One check's result before the client's texts are compared with it. */
export type Checked = Omit<DebugAnswer, "differences">;

export interface ClientTexts {
	readonly clientCanonicalRequest?: string;
	readonly clientStringToSign?: string;
}

/** The answer with `differences` filled in; tokens redacted on both sides before comparing. */
export function withDifferences(
	checked: Checked,
	client: ClientTexts,
): DebugAnswer {
	const canonical =
		client.clientCanonicalRequest !== undefined &&
		checked.canonicalRequest !== null;
	const toSign =
		client.clientStringToSign !== undefined &&
		checked.stringToSign !== null &&
		checked.scheme !== "hmac";
	// Nothing the gateway built to compare with (a refusal before any canonical request): null,
	// not an empty list that would read as "no differences".
	if (!canonical && !toSign) return { ...checked, differences: null };
	const out: Difference[] = [];
	if (canonical)
		out.push(
			...canonicalRequestDifferences(
				redactTokens(client.clientCanonicalRequest as string),
				checked.canonicalRequest as string,
			),
		);
	if (toSign)
		out.push(
			...stringToSignDifferences(
				client.clientStringToSign as string,
				checked.stringToSign as string,
				checked.scheme as "sigv4" | "acs3",
			),
		);
	return { ...checked, differences: out };
}

/** A cause sentence from a verifier as `{code, text}`; `null` when there is none. */
export function causeOf(text: string | undefined): LikelyCause | null {
	return text === undefined ? null : classifyCause(text);
}

/** The canonical texts as an answer may hold them: tokens and Authorization values redacted. */
export function shown(text: string | undefined): string | null {
	return text === undefined ? null : redactTokens(text);
}
