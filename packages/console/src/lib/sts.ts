/**
 * Sign-in: the long-term key pair signs one STS GetSessionToken call (query protocol, POST /,
 * service `sts`) and is then dropped; the console keeps only the temporary credentials.
 */
import { AwsClient } from "aws4fetch";
import { errorFromResponse } from "./errors.ts";
import type { Session } from "./session.ts";

/** One hour: the most STS grants a root identity's session (and enough for a console tab). */
export const SESSION_SECONDS = 3600;

export interface LongTermKey {
	readonly accessKeyId: string;
	readonly secretAccessKey: string;
}

function text(doc: Document, tag: string): string {
	const value = doc.getElementsByTagName(tag)[0]?.textContent ?? "";
	if (!value) throw new Error(`the STS answer has no ${tag}`);
	return value;
}

async function call(
	client: AwsClient,
	origin: string,
	form: Record<string, string>,
): Promise<Document> {
	const response = await client.fetch(new URL("/", origin).toString(), {
		method: "POST",
		headers: {
			"content-type": "application/x-www-form-urlencoded; charset=utf-8",
		},
		body: new URLSearchParams({ Version: "2011-06-15", ...form }).toString(),
		signal: AbortSignal.timeout(30_000),
		credentials: "omit",
		cache: "no-store",
	});
	const body = await response.text();
	if (!response.ok)
		throw errorFromResponse(response.status, response.headers, body);
	return new DOMParser().parseFromString(body, "application/xml");
}

export async function signIn(
	origin: string,
	region: string,
	key: LongTermKey,
): Promise<Session> {
	const longTerm = new AwsClient({
		accessKeyId: key.accessKeyId,
		secretAccessKey: key.secretAccessKey,
		service: "sts",
		region,
		retries: 0,
	});
	const issued = await call(longTerm, origin, {
		Action: "GetSessionToken",
		DurationSeconds: String(SESSION_SECONDS),
	});
	const credentials = {
		accessKeyId: text(issued, "AccessKeyId"),
		secretAccessKey: text(issued, "SecretAccessKey"),
		sessionToken: text(issued, "SessionToken"),
		expiration: text(issued, "Expiration"),
	};
	// Who the session is, asked with the session itself (the long-term key is done with).
	const session = new AwsClient({
		...credentials,
		service: "sts",
		region,
		retries: 0,
	});
	const identity = await call(session, origin, {
		Action: "GetCallerIdentity",
	});
	return {
		...credentials,
		region,
		arn: text(identity, "Arn"),
		account: text(identity, "Account"),
	};
}
