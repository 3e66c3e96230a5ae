/**
 * At most `limit` holders at once, at most `maxQueue` more waiting in FIFO order; a waiter whose
 * signal aborts leaves the queue. Used by runtimes that start one process per request.
 */
import { RuntimeError } from "./types.ts";

interface Waiter {
	readonly grant: () => void;
	readonly fail: (err: unknown) => void;
}

export class AdmissionGate {
	readonly #name: string;
	readonly #limit: number;
	readonly #maxQueue: number;
	readonly #queue: Waiter[] = [];
	#active = 0;
	#closed = false;
	#onIdle: (() => void) | undefined;

	constructor(name: string, limit: number, maxQueue: number) {
		this.#name = name;
		this.#limit = limit;
		this.#maxQueue = maxQueue;
	}

	get active(): number {
		return this.#active;
	}

	/** Resolves with a release function once a place is free. */
	acquire(signal?: AbortSignal): Promise<() => void> {
		if (this.#closed) return Promise.reject(closedError(this.#name));
		if (signal?.aborted) return Promise.reject(signal.reason);
		if (this.#active < this.#limit) {
			this.#active++;
			return Promise.resolve(this.#releaser());
		}
		if (this.#queue.length >= this.#maxQueue) {
			return Promise.reject(
				new RuntimeError(
					"FUNCTION_QUEUE_FULL",
					`function ${this.#name} is at its concurrency limit (${this.#limit}) and its wait queue (${this.#maxQueue}) is full`,
				),
			);
		}
		return new Promise((resolve, reject) => {
			const onAbort = () => {
				const i = this.#queue.indexOf(waiter);
				if (i !== -1) this.#queue.splice(i, 1);
				reject(signal?.reason);
			};
			const waiter: Waiter = {
				grant: () => {
					signal?.removeEventListener("abort", onAbort);
					resolve(this.#releaser());
				},
				fail: (err) => {
					signal?.removeEventListener("abort", onAbort);
					reject(err);
				},
			};
			signal?.addEventListener("abort", onAbort, { once: true });
			this.#queue.push(waiter);
		});
	}

	/** Refuses new work; queued waiters still get their turn. Resolves when all is done or `graceMs` passes. */
	async close(graceMs: number): Promise<void> {
		this.#closed = true;
		if (this.#active > 0 || this.#queue.length > 0) {
			let timer: NodeJS.Timeout | undefined;
			await new Promise<void>((done) => {
				this.#onIdle = done;
				timer = setTimeout(done, graceMs);
			});
			clearTimeout(timer);
		}
		for (const w of this.#queue.splice(0)) w.fail(closedError(this.#name));
	}

	#releaser(): () => void {
		let released = false;
		return () => {
			if (released) return;
			released = true;
			const next = this.#queue.shift();
			if (next !== undefined) next.grant();
			else this.#active--;
			if (
				this.#active === 0 &&
				this.#queue.length === 0 &&
				this.#onIdle !== undefined
			) {
				const done = this.#onIdle;
				this.#onIdle = undefined;
				done();
			}
		};
	}
}

function closedError(name: string): RuntimeError {
	return new RuntimeError(
		"FUNCTION_CLOSED",
		`function ${name} is shutting down or being replaced; retry`,
	);
}
