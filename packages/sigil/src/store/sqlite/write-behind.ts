/**
 * A timer that batches cheap, frequent writes (audit records, key last-use times) into one
 * transaction every `intervalMs`: one commit and one fsync per batch instead of per request.
 */
export class WriteBehind {
	readonly #write: () => void;
	readonly #intervalMs: number;
	readonly #onError: (err: unknown) => void;
	#timer: NodeJS.Timeout | undefined;
	#closed = false;

	/**
	 * @param write writes everything pending (synchronously, in its own transaction).
	 * @param onError receives a failed background write (the request that caused it is long gone).
	 */
	constructor(
		write: () => void,
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
			try {
				this.#write();
			} catch (err) {
				this.#onError(err);
			}
		}, this.#intervalMs);
	}

	/** Writes now (errors propagate to the caller). */
	flush(): void {
		if (this.#timer !== undefined) {
			clearTimeout(this.#timer);
			this.#timer = undefined;
		}
		this.#write();
	}

	/** Writes what is pending and stops scheduling. */
	close(): void {
		if (this.#closed) return;
		this.flush();
		this.#closed = true;
	}
}
