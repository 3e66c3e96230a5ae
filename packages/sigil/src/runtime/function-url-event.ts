/**
 * Builds the Lambda function URL event (payload format 2.0) from an {@link HttpInvocation}.
 * Reference: AWS Lambda developer guide, "Invoking Lambda function URLs" → "Request payload
 * format". Pure: the request's own timestamp is used, never the clock.
 */
import type { CallerIdentity, HttpInvocation } from "./types.ts";

/** What the function sees as `requestContext.authorizer.iam` (AWS_IAM auth type). */
export interface FunctionUrlIamAuthorizer {
	accessKey: string;
	accountId: string;
	callerId: string;
	cognitoIdentity: null;
	principalOrgId: null;
	userArn: string;
	userId: string;
}

/** The event object, field for field as Lambda sends it. Optional fields are omitted when empty. */
export interface FunctionUrlEvent {
	version: "2.0";
	routeKey: "$default";
	rawPath: string;
	rawQueryString: string;
	cookies?: string[];
	headers: Record<string, string>;
	queryStringParameters?: Record<string, string>;
	requestContext: {
		accountId: string;
		apiId: string;
		authorizer?: { iam: FunctionUrlIamAuthorizer };
		domainName: string;
		domainPrefix: string;
		http: {
			method: string;
			path: string;
			protocol: "HTTP/1.1";
			sourceIp: string;
			userAgent: string;
		};
		requestId: string;
		routeKey: "$default";
		stage: "$default";
		time: string;
		timeEpoch: number;
	};
	body?: string;
	isBase64Encoded: boolean;
}

/** Facts about the function that the request does not carry. */
export interface FunctionUrlEventOptions {
	/** The function owner's account (`requestContext.accountId`); defaults to `"anonymous"` like Lambda's NONE auth. */
	readonly accountId?: string;
	/** The function URL id (`requestContext.apiId`); defaults to the host's first label. */
	readonly apiId?: string;
}

const MONTHS = [
	"Jan",
	"Feb",
	"Mar",
	"Apr",
	"May",
	"Jun",
	"Jul",
	"Aug",
	"Sep",
	"Oct",
	"Nov",
	"Dec",
];

/** `requestContext.time` as Lambda writes it: `07/Sep/2021:22:50:22 +0000` (always UTC). */
export function formatRequestTime(epochMs: number): string {
	const d = new Date(epochMs);
	const pad = (n: number) => String(n).padStart(2, "0");
	return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * Whether a body of this content type travels as UTF-8 text rather than base64. Lambda sends
 * "binary" content types base64-encoded; text, JSON, XML, JavaScript and form bodies as text.
 */
export function isTextualContentType(contentType: string | undefined): boolean {
	if (contentType === undefined) return false;
	const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
	if (type.startsWith("text/")) return true;
	if (type.endsWith("+json") || type.endsWith("+xml")) return true;
	return [
		"application/json",
		"application/xml",
		"application/javascript",
		"application/x-www-form-urlencoded",
		"application/graphql",
		"application/x-ndjson",
	].includes(type);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeUtf8(body: Buffer): string | undefined {
	try {
		return utf8.decode(body);
	} catch {
		return undefined;
	}
}

/** Percent-decoding of one query component; a malformed escape is kept as written. */
function decodeComponent(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

/** Query parameters, values percent-decoded, duplicates joined with "," (payload 2.0 rule). */
export function parseQueryParameters(
	rawQuery: string,
): Record<string, string> | undefined {
	if (rawQuery === "") return undefined;
	const out: Record<string, string> = {};
	for (const pair of rawQuery.split("&")) {
		if (pair === "") continue;
		const eq = pair.indexOf("=");
		const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
		const value = decodeComponent(eq === -1 ? "" : pair.slice(eq + 1));
		out[name] = Object.hasOwn(out, name) ? `${out[name]},${value}` : value;
	}
	return Object.keys(out).length === 0 ? undefined : out;
}

function iamAuthorizer(caller: CallerIdentity): {
	iam: FunctionUrlIamAuthorizer;
} {
	return {
		iam: {
			accessKey: caller.accessKey,
			accountId: caller.accountId,
			callerId: caller.callerId,
			cognitoIdentity: null,
			principalOrgId: null,
			userArn: caller.userArn,
			userId: caller.userId,
		},
	};
}

/** Builds the payload format 2.0 event of one request. */
export function buildFunctionUrlEvent(
	inv: HttpInvocation,
	options: FunctionUrlEventOptions = {},
): FunctionUrlEvent {
	// Headers: lower-case names, repeated headers joined with ","; cookies leave the headers
	// and become the `cookies` array, split on "; ".
	const headers: Record<string, string> = {};
	const cookies: string[] = [];
	for (let i = 0; i + 1 < inv.rawHeaders.length; i += 2) {
		const name = (inv.rawHeaders[i] as string).toLowerCase();
		const value = inv.rawHeaders[i + 1] as string;
		if (name === "cookie") {
			for (const c of value.split("; ")) if (c !== "") cookies.push(c);
			continue;
		}
		headers[name] = Object.hasOwn(headers, name)
			? `${headers[name]},${value}`
			: value;
	}
	const hostName = inv.host.replace(/:\d+$/, "");
	const domainPrefix = hostName.split(".")[0] ?? hostName;
	const event: FunctionUrlEvent = {
		version: "2.0",
		routeKey: "$default",
		rawPath: inv.path,
		rawQueryString: inv.rawQuery,
		headers,
		requestContext: {
			accountId: options.accountId ?? "anonymous",
			apiId: options.apiId ?? domainPrefix,
			domainName: inv.host,
			domainPrefix,
			http: {
				method: inv.method.toUpperCase(),
				path: inv.path,
				protocol: "HTTP/1.1",
				sourceIp: inv.sourceIp,
				userAgent: headers["user-agent"] ?? "",
			},
			requestId: inv.requestId,
			routeKey: "$default",
			stage: "$default",
			time: formatRequestTime(inv.receivedAt),
			timeEpoch: inv.receivedAt,
		},
		isBase64Encoded: false,
	};
	if (cookies.length > 0) event.cookies = cookies;
	const query = parseQueryParameters(inv.rawQuery);
	if (query !== undefined) event.queryStringParameters = query;
	if (inv.caller !== undefined)
		event.requestContext.authorizer = iamAuthorizer(inv.caller);
	// Body: text when the content type says so and the bytes are valid UTF-8, else base64.
	if (inv.body.length > 0) {
		const text = isTextualContentType(headers["content-type"])
			? decodeUtf8(inv.body)
			: undefined;
		if (text !== undefined) event.body = text;
		else {
			event.body = inv.body.toString("base64");
			event.isBase64Encoded = true;
		}
	}
	return event;
}
