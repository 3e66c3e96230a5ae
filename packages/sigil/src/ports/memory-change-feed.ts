/**
 * The embedded `ChangeFeed`: in-process delivery, for one gateway (or a test's several gateways
 * in one process, sharing a hub).
 */
import { randomUUID } from "node:crypto";
import { StoreError } from "../store/errors.ts";
import {
	type Change,
	type ChangeFeed,
	type ChangeListener,
	checkChange,
	Listeners,
	type ReconcileListener,
} from "./change-feed.ts";

/** What several in-process feeds share: one gateway's, or a test's several gateways in one process. */
export class MemoryChangeHub {
	readonly feeds = new Set<MemoryChangeFeed>();
}

const warn = (err: unknown) =>
	process.emitWarning(err as Error, "SigilChangeFeedWarning");

/**
 * The embedded feed: changes go to the subscribers of the feeds on the same hub (by default its
 * own only), each delivered on a later tick, in publish order. Nothing is ever lost, so it never
 * signals reconcile by itself; `resync` signals it by hand.
 */
export class MemoryChangeFeed implements ChangeFeed {
	readonly id = randomUUID();
	readonly #hub: MemoryChangeHub;
	readonly #listeners: Listeners;
	#closed = false;

	constructor(
		options: {
			hub?: MemoryChangeHub;
			onListenerError?: (err: unknown) => void;
		} = {},
	) {
		this.#hub = options.hub ?? new MemoryChangeHub();
		this.#listeners = new Listeners(options.onListenerError ?? warn);
		this.#hub.feeds.add(this);
	}

	async publish(change: Change): Promise<void> {
		if (this.#closed)
			throw new StoreError("STORE_CLOSED", "the change feed is closed");
		const checked = checkChange(change);
		for (const feed of this.#hub.feeds) feed.#deliver(checked);
	}

	#deliver(change: Change): void {
		// setImmediate keeps publish order and never re-enters the publisher's own call stack.
		setImmediate(() => {
			if (!this.#closed) this.#listeners.emitChange(change);
		});
	}

	subscribe(listener: ChangeListener): () => void {
		return this.#listeners.subscribe(listener);
	}

	onReconcile(listener: ReconcileListener): () => void {
		return this.#listeners.onReconcile(listener);
	}

	/** Tells this feed's consumers to reload everything. */
	resync(reason = "resync requested"): void {
		if (!this.#closed) this.#listeners.emitReconcile(reason);
	}

	async close(): Promise<void> {
		this.#closed = true;
		this.#hub.feeds.delete(this);
		this.#listeners.clear();
	}
}
