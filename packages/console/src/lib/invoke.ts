/**
 * Invokes a function from the page the way its trigger wants callers to sign:
 * `none` unsigned, `aws_iam` SigV4 with the session (service lambda or execute-api, as the
 * trigger accepts), `hmac` an HMAC of the body with the trigger's first secret (read through
 * the control plane, so only a principal allowed sigil:GetSecretValue can). For `acs3` and
 * `webhook` triggers the console calls the Lambda Invoke API instead (IAM-authorized
 * lambda:InvokeFunction), and says so: it holds no ACS3 signer and no webhook sender.
 */
import type { Api, RawAnswer } from "./api.ts";
import type { FunctionView } from "./types.ts";

export interface InvokeResult extends RawAnswer {
	/** How the request was signed, for the page to say. */
	readonly signedAs: string;
}

const HMAC_ALGORITHMS: Record<string, string> = {
	sha256: "SHA-256",
	sha512: "SHA-512",
	sha1: "SHA-1",
};

function hex(bytes: ArrayBuffer): string {
	return [...new Uint8Array(bytes)]
		.map((b) => b.toString(16).padStart(2, "0"))
		.join("");
}

function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
	const bin = atob(b64);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
	return out;
}

export async function invokeFunction(
	api: Api,
	fn: FunctionView,
	method: "GET" | "POST",
	body: string,
): Promise<InvokeResult> {
	const trigger = fn.config.trigger ?? { auth: "none" };
	const path = `/function/${encodeURIComponent(fn.name)}`;
	const payload = method === "GET" ? undefined : body;
	switch (trigger.auth) {
		case "none": {
			const response = await fetch(new URL(path, api.origin), {
				method,
				...(payload !== undefined && { body: payload }),
				credentials: "omit",
				cache: "no-store",
				signal: AbortSignal.timeout(60_000),
			});
			return {
				status: response.status,
				headers: response.headers,
				text: await response.text(),
				signedAs: "unsigned (trigger auth none)",
			};
		}
		case "aws_iam": {
			const service = (trigger.services ?? ["lambda"]).includes("lambda")
				? "lambda"
				: "execute-api";
			const answer = await api.raw(service, method, path, payload);
			return {
				...answer,
				signedAs: `SigV4, service ${service}, session credentials`,
			};
		}
		case "hmac": {
			const secretName = trigger.secrets?.[0];
			if (!secretName) throw new Error("this hmac trigger names no secret");
			const secret = await api.sigil<{ value: string }>(
				"GET",
				`/secrets/${encodeURIComponent(secretName)}`,
			);
			const algorithm =
				(trigger.algorithms ?? ["sha256"]).find((a) => a in HMAC_ALGORITHMS) ??
				"sha256";
			const key = await crypto.subtle.importKey(
				"raw",
				base64Bytes(secret.value),
				{ name: "HMAC", hash: HMAC_ALGORITHMS[algorithm] ?? "SHA-256" },
				false,
				["sign"],
			);
			const mac = await crypto.subtle.sign(
				"HMAC",
				key,
				new TextEncoder().encode(payload ?? ""),
			);
			const header = trigger.header ?? "Hmac";
			const response = await fetch(new URL(path, api.origin), {
				method,
				headers: { [header]: `${algorithm}=${hex(mac)}` },
				...(payload !== undefined && { body: payload }),
				credentials: "omit",
				cache: "no-store",
				signal: AbortSignal.timeout(60_000),
			});
			return {
				status: response.status,
				headers: response.headers,
				text: await response.text(),
				signedAs: `payload HMAC ${algorithm} with secret ${secretName}, header ${header}`,
			};
		}
		default: {
			const answer = await api.raw(
				"lambda",
				"POST",
				`/2015-03-31/functions/${encodeURIComponent(fn.name)}/invocations`,
				body,
			);
			return {
				...answer,
				signedAs: `Lambda Invoke API (SigV4, lambda:InvokeFunction): the console does not sign ${trigger.auth} itself`,
			};
		}
	}
}
