/**
 * The AWS query protocol as IAM and STS speak it (botocore `protocol: "query"`): a form-encoded
 * POST to `/` with `Action=…&Version=…` (or the same parameters in a GET's query string, signed
 * in the headers or presigned), answered in XML —
 *
 *   <ActionResponse xmlns="NS"><ActionResult>…</ActionResult>
 *     <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>
 *
 * and errors as `<ErrorResponse xmlns="NS"><Error><Type>Sender</Type><Code>…</Code>
 * <Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.
 */
import type { Exchange } from "./exchange.ts";
import { send, type WireError } from "./respond.ts";

export const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";
export const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";

/** The service a request was signed for, read from its credential scope without verifying it. */
export function signedServiceOf(ex: Exchange): string | undefined {
	const auth = ex.header("authorization") ?? "";
	const fromHeader = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth);
	if (fromHeader) return fromHeader[1];
	const q = new URLSearchParams(ex.rawQuery).get("X-Amz-Credential") ?? "";
	return q.split("/")[3];
}

export function namespaceOf(service: string | undefined): string {
	return service === "iam" ? IAM_NS : STS_NS;
}

/**
 * The SigV4 query-string authentication parameters of a presigned request: verified by the
 * authenticator, and no operation's parameters.
 */
const PRESIGN_PARAMS = new Set([
	"x-amz-algorithm",
	"x-amz-credential",
	"x-amz-date",
	"x-amz-expires",
	"x-amz-signedheaders",
	"x-amz-signature",
	"x-amz-security-token",
]);

/**
 * The form parameters of a query request: the form body of a POST, or the query string of a GET
 * (what a presigned `GetCallerIdentity` URL carries), without the presigning parameters.
 */
export function formParams(ex: Exchange): URLSearchParams {
	const type = ex.header("content-type") ?? "";
	if (
		ex.method !== "GET" &&
		ex.body.length > 0 &&
		type.includes("application/x-www-form-urlencoded")
	)
		return new URLSearchParams(ex.body.toString("utf8"));
	const q = new URLSearchParams(ex.rawQuery);
	for (const key of [...q.keys()])
		if (PRESIGN_PARAMS.has(key.toLowerCase())) q.delete(key);
	return q;
}

export function escapeXml(text: string): string {
	return text
		.replace(/&/g, "&amp;")
		.replace(/</g, "&lt;")
		.replace(/>/g, "&gt;")
		.replace(/"/g, "&quot;")
		.replace(/'/g, "&apos;");
}

/** A value tree rendered as XML elements; arrays become `<member>` lists, as the protocol does. */
export type XmlValue =
	| string
	| number
	| boolean
	| undefined
	| readonly XmlValue[]
	| { readonly [name: string]: XmlValue };

export function toXml(value: XmlValue): string {
	if (value === undefined) return "";
	if (Array.isArray(value))
		return value.map((v) => `<member>${toXml(v)}</member>`).join("");
	if (typeof value === "object")
		return Object.entries(value)
			.filter(([, v]) => v !== undefined)
			.map(([k, v]) => `<${k}>${toXml(v as XmlValue)}</${k}>`)
			.join("");
	return escapeXml(String(value));
}

/** Sends `<ActionResponse>` with an optional `<ActionResult>`. */
export function sendQueryResult(
	ex: Exchange,
	ns: string,
	action: string,
	result?: XmlValue,
): void {
	const inner =
		result === undefined
			? ""
			: `<${action}Result>${toXml(result)}</${action}Result>`;
	const xml = `<${action}Response xmlns="${ns}">${inner}<ResponseMetadata><RequestId>${ex.id}</RequestId></ResponseMetadata></${action}Response>\n`;
	send(ex, 200, Buffer.from(xml), {
		"content-type": "text/xml",
		"x-amzn-RequestId": ex.id,
	});
}

/**
 * The query protocol's names for what the JSON APIs call otherwise (STS API Reference, "Common
 * Errors": InvalidClientTokenId, ExpiredToken, AccessDenied, SignatureDoesNotMatch, …).
 */
const QUERY_NAME: Record<string, string> = {
	UnrecognizedClientException: "InvalidClientTokenId",
	ExpiredTokenException: "ExpiredToken",
	AccessDeniedException: "AccessDenied",
	InvalidSignatureException: "SignatureDoesNotMatch",
	MissingAuthenticationTokenException: "MissingAuthenticationToken",
	InvalidParameterValueException: "ValidationError",
	InvalidRequestContentException: "InvalidParameterValue",
	ResourceNotFoundException: "NoSuchEntity",
	InvalidInputException: "InvalidInput",
};

/** Sends an `<ErrorResponse>`; `awsName` is the error's JSON-dialect name. */
export function sendQueryError(
	ex: Exchange,
	ns: string,
	error: WireError,
	awsName: string,
): void {
	const code = QUERY_NAME[awsName] ?? awsName;
	const type = error.status >= 500 ? "Receiver" : "Sender";
	const xml = `<ErrorResponse xmlns="${ns}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${ex.id}</RequestId></ErrorResponse>\n`;
	send(ex, error.status, Buffer.from(xml), {
		"content-type": "text/xml",
		"x-amzn-RequestId": ex.id,
	});
}
