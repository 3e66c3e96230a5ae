/**
 * The signature debugger's request body, validated once (docs/console.md): exactly one of
 * `raw`, `curl`, `auditId`, the optional client texts, nothing else — an unknown field is
 * refused, never ignored — each bounded. The pasted request is read here too, so a request
 * that cannot be read is refused before anything is looked up.
 */
import type { WireRequest } from "@sigil/signature";
import { SigilError } from "../errors.ts";
import { CurlCommandError, parseCurlCommand } from "./curl-command.ts";
import type { ClientTexts } from "./debug-answer.ts";
import { parseRequestText, RequestTextError } from "./request-text.ts";

export const MAX_PASTE_CHARS = 64 * 1024;
export const MAX_CLIENT_TEXT_CHARS = 16 * 1024;
/** The route's body limit: the largest paste as JSON-escaped text, and the rest. */
export const MAX_DEBUG_BODY_BYTES = 128 * 1024;

const FIELDS = new Set([
	"raw",
	"curl",
	"auditId",
	"clientCanonicalRequest",
	"clientStringToSign",
]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type DebugInput = ClientTexts &
	(
		| { readonly source: "raw" | "curl"; readonly wire: WireRequest }
		| { readonly source: "audit"; readonly requestId: string }
	);

function invalid(message: string): never {
	throw new SigilError("DEBUG_INPUT_INVALID", message);
}

/**
 * `gateway.region`: named when a refused `curl --aws-sigv4` signs for another region, the
 * mistake that command most often holds.
 */
export function readDebugInput(
	body: Buffer,
	gateway: { readonly region: string },
): DebugInput {
	let value: unknown;
	try {
		value = JSON.parse(body.toString("utf8"));
	} catch {
		invalid('the body must be JSON: {"raw" | "curl" | "auditId": …}');
	}
	if (typeof value !== "object" || value === null || Array.isArray(value))
		invalid("the body must be a JSON object");
	const o = value as Record<string, unknown>;
	for (const key of Object.keys(o))
		if (!FIELDS.has(key))
			invalid(
				`unknown field ${JSON.stringify(key.slice(0, 40))}: the fields are raw, curl, auditId, clientCanonicalRequest, clientStringToSign`,
			);
	const given = ["raw", "curl", "auditId"].filter((k) => o[k] !== undefined);
	if (given.length !== 1)
		invalid(
			`give exactly one of raw, curl, auditId (got ${given.length === 0 ? "none" : given.join(", ")})`,
		);
	const client: {
		clientCanonicalRequest?: string;
		clientStringToSign?: string;
	} = {};
	for (const key of ["clientCanonicalRequest", "clientStringToSign"] as const) {
		const v = text(o, key, MAX_CLIENT_TEXT_CHARS);
		if (v !== undefined) client[key] = v;
	}
	const source = given[0] as "raw" | "curl" | "auditId";
	const pasted = text(o, source, MAX_PASTE_CHARS) as string;
	if (source === "auditId") {
		if (!REQUEST_ID.test(pasted))
			invalid(
				"auditId is the requestId of a record of GET /sigil/v1/logs (letters, digits, . _ : -)",
			);
		return { ...client, source: "audit", requestId: pasted };
	}
	return {
		...client,
		source,
		wire: readPasted(source, pasted, gateway.region),
	};
}

function text(
	o: Record<string, unknown>,
	key: string,
	max: number,
): string | undefined {
	const v = o[key];
	if (v === undefined) return undefined;
	if (typeof v !== "string") invalid(`${key} must be a string`);
	if (v.length > max) invalid(`${key} is longer than ${max} characters`);
	if (v.trim() === "") invalid(`${key} is empty`);
	return v;
}

function readPasted(
	source: "raw" | "curl",
	pasted: string,
	region: string,
): WireRequest {
	try {
		return source === "raw"
			? parseRequestText(pasted)
			: parseCurlCommand(pasted);
	} catch (err) {
		if (err instanceof RequestTextError)
			throw new SigilError("DEBUG_REQUEST_UNPARSABLE", `raw: ${err.message}`);
		if (err instanceof CurlCommandError) {
			const scope = err.sigv4Scope;
			const hint =
				scope && scope.region !== region
					? ` — and it signs for region '${scope.region}' while this gateway's is '${region}': the gateway would refuse it for that alone (sign with ${region})`
					: "";
			throw new SigilError(
				err.kind === "unsupported"
					? "DEBUG_CURL_UNSUPPORTED"
					: "DEBUG_REQUEST_UNPARSABLE",
				`curl: ${err.message}${hint}`,
			);
		}
		throw err;
	}
}
