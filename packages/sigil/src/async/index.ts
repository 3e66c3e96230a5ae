/**
 * Asynchronous invocation: the worker on the job queue, bounded enqueue and callbacks. The
 * gateway starts one {@link AsyncService} per process with the ports the composition root built;
 * route handlers reach it through the gateway context with {@link asyncOf}.
 */
import type { GatewayContext } from "../gateway/context.ts";
import type { DeadJob, JobQueue } from "../ports/job-queue.ts";
import type { SharedCache } from "../ports/shared-cache.ts";
import { type EnqueueRequest, enqueueBounded, QueueCounts } from "./enqueue.ts";
import { type AsyncOptions, AsyncWorker } from "./worker.ts";

export { CALLBACK_KEY_SECRET, checkCallbackUrl } from "./callback.ts";
export type { EnqueueRequest } from "./enqueue.ts";
export type { AsyncOptions } from "./worker.ts";

/** The worker plus enqueue-and-nudge, as the route handlers use them. */
export interface AsyncService {
	readonly worker: AsyncWorker;
	/** Enqueues within the bounds and wakes the worker; resolves once the job is durable. */
	enqueue(req: EnqueueRequest): Promise<{ id: string; duplicate: boolean }>;
	/**
	 * Whether the store keeps every job's record (the embedded queue); false on JetStream, whose
	 * jobs exist only on the stream (and their dead letters on the dead-letter stream).
	 */
	readonly recordsInStore: boolean;
	/** Dead-lettered jobs of an account (`sigil jobs --dead`), from the queue itself. */
	dead(filter: {
		accountId: string;
		after?: string;
		limit?: number;
	}): Promise<DeadJob[]>;
	stop(graceMs: number): Promise<void>;
}

export interface AsyncPorts {
	readonly queue: JobQueue;
	readonly cache: SharedCache;
	/** The store holds the job records (the embedded queue). */
	readonly recordsInStore: boolean;
	/** The queue's longest claim wait (0: answers at once; JetStream pulls wait ≥ 1 s). */
	readonly claimWaitMs?: number;
}

// The gateway context has no slot for this service yet (context.ts belongs to the gateway);
// a WeakMap keyed by the context attaches it without widening that interface.
const services = new WeakMap<GatewayContext, AsyncService>();

/** Starts the worker for a gateway on `ports` and attaches it to `ctx`. */
export async function startAsync(
	ctx: GatewayContext,
	ports: AsyncPorts,
	options: AsyncOptions = {},
): Promise<AsyncService> {
	const worker = new AsyncWorker(
		{
			queue: ports.queue,
			store: ctx.store,
			cache: ports.cache,
			functions: ctx.functions,
			log: ctx.log,
			now: ctx.now,
			...(ports.claimWaitMs !== undefined && {
				claimWaitMs: ports.claimWaitMs,
			}),
		},
		options,
	);
	const counts = new QueueCounts(ports.queue);
	const service: AsyncService = {
		worker,
		async enqueue(req) {
			const job = await enqueueBounded(
				ports.queue,
				worker.options,
				req,
				counts,
			);
			worker.nudge();
			return job;
		},
		recordsInStore: ports.recordsInStore,
		dead: (filter) => ports.queue.dead(filter),
		stop: (graceMs) => worker.stop(graceMs),
	};
	services.set(ctx, service);
	await worker.start();
	return service;
}

/** The async service of a running gateway. */
export function asyncOf(ctx: GatewayContext): AsyncService {
	const service = services.get(ctx);
	if (!service)
		throw new Error("asynchronous invocation is not started on this gateway");
	return service;
}
