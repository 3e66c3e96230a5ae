import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { sharedSecretFailure } from "../hmac/errors.ts";
import { headerValues, type WireRequest } from "../request.ts";
import type { Result } from "../result.ts";
import { constantTimeEqual } from "../shared/constant-time.ts";
import { hmacKey } from "../shared/hmac-key.ts";
import { webhookKey } from "./secret.ts";

/** Standard Webhooks headers (spec "Signature scheme"). */
export const WEBHOOK_ID = "webhook-id";
export const WEBHOOK_TIMESTAMP = "webhook-timestamp";
export const WEBHOOK_SIGNATURE = "webhook-signature";
/** The spec's recommended tolerance, in seconds, either way. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const MAX_SIGNATURE_HEADER = 4096;
const MAX_ID = 256;
const TIMESTAMP = /^\d{1,12}$/;
const V1 = /^v1,([A-Za-z0-9+/]{43}=)$/;

/** Options of {@link verifyStandardWebhook}. */
export interface StandardWebhookOptions {
	/** Active secrets (`whsec_…` strings or raw key bytes); several during a rotation. */
	readonly secrets: readonly (string | Uint8Array)[];
	/** The gateway's clock, epoch milliseconds. */
	readonly now: number;
	/** Largest accepted |now − webhook-timestamp|, seconds. Default 300. */
	readonly toleranceSeconds?: number;
}

function single(req: WireRequest, name: string): string | undefined | null {
	const values = headerValues(req.rawHeaders, name);
	return values.length === 0
		? undefined
		: values.length === 1
			? (values[0] as string)
			: null;
}

/** HMAC-SHA256 over `id.timestamp.body` (spec: "signed content"). */
function sign(
	key: Uint8Array,
	id: string,
	timestamp: string,
	body: Uint8Array,
): Uint8Array {
	return createHmac("sha256", hmacKey(key))
		.update(`${id}.${timestamp}.`, "utf8")
		.update(body)
		.digest();
}

/**
 * Verify a Standard Webhooks delivery: the three headers once each, the timestamp within the
 * tolerance in both directions, and at least one `v1,<base64>` entry of the space-separated
 * signature list matching one secret. Every (signature, secret) pair is compared — no early
 * exit. Returns `webhookId`: remembering seen ids (replay memory) is the gateway's job.
 */
export function verifyStandardWebhook(
	req: WireRequest,
	opts: StandardWebhookOptions,
): Result<{ webhookId: string; timestamp: number; secretIndex: number }> {
	const id = single(req, WEBHOOK_ID);
	const timestamp = single(req, WEBHOOK_TIMESTAMP);
	const signatures = single(req, WEBHOOK_SIGNATURE);
	for (const [name, value] of [
		[WEBHOOK_ID, id],
		[WEBHOOK_TIMESTAMP, timestamp],
		[WEBHOOK_SIGNATURE, signatures],
	] as const) {
		if (value === undefined)
			return sharedSecretFailure("webhook", "MISSING_SIGNATURE", name);
		if (value === null)
			return sharedSecretFailure("webhook", "DUPLICATE_HEADER", name);
	}
	if (
		typeof id !== "string" ||
		typeof timestamp !== "string" ||
		typeof signatures !== "string"
	) {
		throw new Error("unreachable: headers checked above");
	}
	if (signatures.length > MAX_SIGNATURE_HEADER)
		return sharedSecretFailure(
			"webhook",
			"HEADER_TOO_LARGE",
			WEBHOOK_SIGNATURE,
		);
	if (id.length === 0 || id.length > MAX_ID || !/^[\x21-\x7e]+$/.test(id)) {
		return sharedSecretFailure("webhook", "MALFORMED_SIGNATURE", WEBHOOK_ID);
	}
	if (!TIMESTAMP.test(timestamp))
		return sharedSecretFailure(
			"webhook",
			"MALFORMED_SIGNATURE",
			WEBHOOK_TIMESTAMP,
		);
	const seconds = Number(timestamp);
	const offset = seconds - Math.floor(opts.now / 1000);
	const tolerance = opts.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
	if (Math.abs(offset) > tolerance) {
		const what = offset < 0 ? "too old" : "too far in the future";
		return sharedSecretFailure(
			"webhook",
			"TIMESTAMP_OUT_OF_TOLERANCE",
			`webhook-timestamp is ${what} (more than ${tolerance}s off)`,
			{
				details: { clockOffsetSeconds: offset },
			},
		);
	}
	// Space-separated `version,signature` entries; versions we do not know (v1a: asymmetric)
	// are skipped, as the spec asks, but there must be at least one v1 entry.
	const received: Uint8Array[] = [];
	for (const entry of signatures.split(" ")) {
		const m = V1.exec(entry);
		if (m !== null) received.push(Buffer.from(m[1] as string, "base64"));
	}
	if (received.length === 0)
		return sharedSecretFailure(
			"webhook",
			"MALFORMED_SIGNATURE",
			WEBHOOK_SIGNATURE,
		);
	const keys = opts.secrets.map(webhookKey);
	if (keys.every((k) => k === undefined))
		return sharedSecretFailure(
			"webhook",
			"NO_SECRET_CONFIGURED",
			WEBHOOK_SIGNATURE,
		);

	let secretIndex = -1;
	keys.forEach((key, i) => {
		if (key === undefined) return;
		const expected = sign(key, id, timestamp, req.body);
		for (const sig of received) {
			if (constantTimeEqual(expected, sig) && secretIndex === -1)
				secretIndex = i;
		}
	});
	if (secretIndex !== -1)
		return { ok: true, webhookId: id, timestamp: seconds, secretIndex };
	return sharedSecretFailure(
		"webhook",
		"SIGNATURE_MISMATCH",
		WEBHOOK_SIGNATURE,
		{
			likelyCause:
				"the sender uses a different secret, or the id, timestamp or body changed after signing",
			details: {
				signaturesReceived: received.length,
				activeSecrets: keys.length,
			},
		},
	);
}

/** Input of {@link signStandardWebhook}. */
export interface SignStandardWebhookInput {
	readonly id: string;
	/** Delivery time, epoch milliseconds (written as whole seconds). */
	readonly now: number;
	readonly body: Uint8Array | string;
	/** One or more secrets: one `v1,` entry each (a sender mid-rotation signs with both). */
	readonly secrets: readonly (string | Uint8Array)[];
}

/**
 * The three Standard Webhooks headers for a delivery.
 * @example signStandardWebhook({ id: "msg_1", now: Date.now(), body, secrets: ["whsec_…"] })
 */
export function signStandardWebhook(
	input: SignStandardWebhookInput,
): Record<string, string> {
	const timestamp = String(Math.floor(input.now / 1000));
	const body =
		typeof input.body === "string"
			? Buffer.from(input.body, "utf8")
			: input.body;
	const entries = input.secrets.map((secret) => {
		const key = webhookKey(secret);
		if (key === undefined)
			throw new TypeError(
				"signStandardWebhook: a secret is not whsec_<base64>",
			);
		return `v1,${Buffer.from(sign(key, input.id, timestamp, body)).toString("base64")}`;
	});
	return {
		[WEBHOOK_ID]: input.id,
		[WEBHOOK_TIMESTAMP]: timestamp,
		[WEBHOOK_SIGNATURE]: entries.join(" "),
	};
}
