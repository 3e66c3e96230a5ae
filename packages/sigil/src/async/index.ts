/**
 * Asynchronous invocation: the durable queue's worker, bounded enqueue and callbacks. The
 * gateway starts one {@link AsyncService} per process; route handlers reach it through the
 * gateway context with {@link asyncOf}.
 */
import type { GatewayContext } from "../gateway/context.ts";
import type { Job } from "../store/types.ts";
import { type EnqueueRequest, enqueueBounded, QueueCounts } from "./enqueue.ts";
import { type AsyncOptions, AsyncWorker } from "./worker.ts";

export { CALLBACK_KEY_SECRET, checkCallbackUrl } from "./callback.ts";
export type { EnqueueRequest } from "./enqueue.ts";
export type { AsyncOptions } from "./worker.ts";

/** The worker plus enqueue-and-nudge, as the route handlers use them. */
export interface AsyncService {
	readonly worker: AsyncWorker;
	/** Enqueues within the bounds and wakes the worker; resolves once the job is durable. */
	enqueue(req: EnqueueRequest): Promise<Job>;
	stop(graceMs: number): Promise<void>;
}

// The gateway context has no slot for this service yet (context.ts belongs to the gateway);
// a WeakMap keyed by the context attaches it without widening that interface.
const services = new WeakMap<GatewayContext, AsyncService>();

/**
 * Starts the worker for a gateway (requeueing leases a killed predecessor left behind) and
 * attaches it to `ctx`.
 */
export async function startAsync(
	ctx: GatewayContext,
	options: AsyncOptions = {},
): Promise<AsyncService> {
	const worker = new AsyncWorker(
		{
			store: ctx.store,
			functions: ctx.functions,
			log: ctx.log,
			now: ctx.now,
		},
		options,
	);
	const counts = new QueueCounts(ctx.store);
	const service: AsyncService = {
		worker,
		async enqueue(req) {
			const job = await enqueueBounded(ctx.store, worker.options, req, counts);
			worker.nudge();
			return job;
		},
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
