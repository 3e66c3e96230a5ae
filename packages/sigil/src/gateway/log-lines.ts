/**
 * The gateway's log lines to a stream, written once per event-loop turn. Every request logs a
 * line, and a write to stderr is a system call (synchronous for files and pipes on Linux): under
 * load many requests end in one turn, so one write carries all their lines (bench:gateway: ~6 µs
 * of the event loop per request went to that syscall). Order is kept; what is queued is written
 * before the process exits, and on `flush()`. At most `maxQueuedBytes` wait: past it the queue
 * is written at once, so a flood of lines cannot grow memory within one turn.
 */
export interface LineSink {
	write(chunk: string): unknown;
}

export class BatchedLines {
	readonly #sink: LineSink;
	readonly #maxQueuedBytes: number;
	#queued: string[] = [];
	#bytes = 0;
	#scheduled = false;
	readonly #onExit = () => this.flush();

	constructor(sink: LineSink, maxQueuedBytes = 256 * 1024) {
		this.#sink = sink;
		this.#maxQueuedBytes = maxQueuedBytes;
		process.on("exit", this.#onExit);
	}

	/** Queues one line (without its newline). */
	line(text: string): void {
		this.#queued.push(text);
		this.#bytes += text.length + 1;
		if (this.#bytes >= this.#maxQueuedBytes) this.flush();
		else if (!this.#scheduled) {
			this.#scheduled = true;
			setImmediate(() => this.flush());
		}
	}

	/** Writes what is queued, now. */
	flush(): void {
		this.#scheduled = false;
		if (this.#queued.length === 0) return;
		const text = `${this.#queued.join("\n")}\n`;
		this.#queued = [];
		this.#bytes = 0;
		this.#sink.write(text);
	}

	/** Writes what is queued and stops listening for the process's exit. */
	close(): void {
		this.flush();
		process.off("exit", this.#onExit);
	}
}

let stderr: BatchedLines | undefined;

/** The one batcher of this process's stderr (stderr is one stream, whatever writes to it). */
export function stderrLines(): BatchedLines {
	stderr ??= new BatchedLines(process.stderr);
	return stderr;
}
