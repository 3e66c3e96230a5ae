/**
 * A timer that batches cheap, frequent writes (audit records, key last-use times) into one
 * transaction every `intervalMs`: one round trip and one commit per batch instead of per request.
 * The asynchronous counterpart of the SQLite adapter's writer: batches never overlap (a flush
 * asked for while one runs waits for it, then writes what arrived meanwhile), and any number of
 * flushes asked for before a batch starts are that one batch.
 */
export class AsyncWriteBehind {
	readonly #write: () => Promise<void>;
	readonly #intervalMs: number;
	readonly #onError: (err: unknown) => void;
	#timer: NodeJS.Timeout | undefined;
	#running: Promise<void> = Promise.resolve();
	/** A batch asked for but not started yet: later asks join it instead of queueing more. */
	#queued: Promise<void> | undefined;
	#closed = false;

	constructor(
		write: () => Promise<void>,
		intervalMs: number,
		onError: (err: unknown) => void,
	) {
		this.#write = write;
		this.#intervalMs = intervalMs;
		this.#onError = onError;
	}

	/** Something is pending: make sure a write is scheduled. */
	poke(): void {
		if (this.#timer !== undefined || this.#closed) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.flush().catch(this.#onError);
		}, this.#intervalMs);
	}

	/** Writes now, after any batch in flight (errors propagate to the caller). */
	flush(): Promise<void> {
		if (this.#timer !== undefined) {
			clearTimeout(this.#timer);
			this.#timer = undefined;
		}
		if (this.#queued !== undefined) return this.#queued;
		const next = this.#running
			.catch(() => {})
			.then(() => {
				// Started: what arrives from now on needs the batch after this one.
				this.#queued = undefined;
				return this.#write();
			});
		this.#queued = next;
		this.#running = next;
		return next;
	}

	/** Writes what is pending and stops scheduling. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		await this.flush();
	}
}
