/**
 * The JetStream layout of the async queue, created (or brought up to date) when a gateway
 * connects, so operators create nothing by hand:
 *
 * - the work stream `NAME` on `PREFIX.work.ACCOUNT.FUNCTION`: work-queue retention (a message
 *   leaves the stream when a worker acknowledges it), file storage, de-duplication by
 *   `Nats-Msg-Id` within `duplicateWindowMs`;
 * - one durable pull consumer `CONSUMER` on it that every gateway shares: explicit acks, ack wait
 *   = the lease, at most `maxAttempts + 1` deliveries (the extra one lets the claimer that sees a
 *   job whose last lease ran out dead-letter it, see `jetstream-job-queue.ts`);
 * - the dead-letter stream `NAME_DEAD` on `PREFIX.dead.ACCOUNT`: limits retention kept
 *   `deadMaxAgeMs`, direct get enabled so a listing reads it without creating a consumer.
 */

import { createHash } from "node:crypto";
import {
	AckPolicy,
	DeliverPolicy,
	type JetStreamManager,
	RetentionPolicy,
	StorageType,
} from "@nats-io/jetstream";

export interface QueueLayout {
	readonly stream: string;
	readonly deadStream: string;
	readonly consumer: string;
	readonly prefix: string;
	readonly leaseMs: number;
	readonly maxAttempts: number;
	readonly duplicateWindowMs: number;
	readonly deadMaxAgeMs: number;
	readonly replicas: number;
	readonly maxAckPending: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export function checkLayout(l: QueueLayout): void {
	for (const [what, v] of [
		["stream", l.stream],
		["consumer", l.consumer],
	] as const)
		if (!NAME.test(v))
			throw new RangeError(`the JetStream ${what} name must match ${NAME}`);
	if (!PREFIX.test(l.prefix))
		throw new RangeError(
			"the subject prefix must be dot-separated tokens of letters, digits, _ and -",
		);
	// A pull lasts at least 1 s and at most half a lease (see `claim`).
	if (!(l.leaseMs >= 2000))
		throw new RangeError("the lease (ack wait) must be at least 2000 ms");
}

/** A subject token for a name: itself when it is already a safe token, else a digest. */
export function subjectToken(name: string): string {
	return TOKEN.test(name)
		? name
		: `h${createHash("sha256").update(name).digest("hex").slice(0, 32)}`;
}

export function workSubject(
	l: QueueLayout,
	accountId: string,
	functionName?: string,
): string {
	return `${l.prefix}.work.${subjectToken(accountId)}.${functionName === undefined ? "*" : subjectToken(functionName)}`;
}

export function deadSubject(l: QueueLayout, accountId: string): string {
	return `${l.prefix}.dead.${subjectToken(accountId)}`;
}

const ns = (ms: number) => Math.round(ms * 1_000_000);

function isExists(err: unknown): boolean {
	return /already in use|already exists/i.test(String((err as Error)?.message));
}

/** Creates the streams and the consumer, or updates the settings an operator may change. */
export async function ensureLayout(
	jsm: JetStreamManager,
	l: QueueLayout,
): Promise<void> {
	const work = {
		name: l.stream,
		subjects: [`${l.prefix}.work.>`],
		retention: RetentionPolicy.Workqueue,
		storage: StorageType.File,
		num_replicas: l.replicas,
		duplicate_window: ns(l.duplicateWindowMs),
	};
	try {
		await jsm.streams.add(work);
	} catch (err) {
		if (!isExists(err)) throw err;
		await jsm.streams.update(l.stream, {
			duplicate_window: work.duplicate_window,
		});
	}
	const dead = {
		name: l.deadStream,
		subjects: [`${l.prefix}.dead.>`],
		retention: RetentionPolicy.Limits,
		storage: StorageType.File,
		num_replicas: l.replicas,
		duplicate_window: ns(Math.min(l.duplicateWindowMs, l.deadMaxAgeMs)),
		max_age: ns(l.deadMaxAgeMs),
		allow_direct: true,
	};
	try {
		await jsm.streams.add(dead);
	} catch (err) {
		if (!isExists(err)) throw err;
		await jsm.streams.update(l.deadStream, {
			max_age: dead.max_age,
			duplicate_window: dead.duplicate_window,
			allow_direct: true,
		});
	}
	const consumer = {
		durable_name: l.consumer,
		ack_policy: AckPolicy.Explicit,
		deliver_policy: DeliverPolicy.All,
		ack_wait: ns(l.leaseMs),
		max_deliver: l.maxAttempts + 1,
		max_ack_pending: l.maxAckPending,
		filter_subject: `${l.prefix}.work.>`,
	};
	try {
		await jsm.consumers.add(l.stream, consumer);
	} catch (err) {
		if (!isExists(err)) throw err;
		await jsm.consumers.update(l.stream, l.consumer, {
			ack_wait: consumer.ack_wait,
			max_deliver: consumer.max_deliver,
			max_ack_pending: consumer.max_ack_pending,
		});
	}
}
