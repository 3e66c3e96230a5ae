/**
 * Temporary credentials a function's code receives (its execution role's, as Lambda hands them
 * over): AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION and
 * AWS_DEFAULT_REGION in the environment of whatever runs the code. The runtime knows nothing of
 * IAM: it asks a source for a fresh set each time it starts something that will hold them.
 *
 * Renewal is by recycling, not by refreshing a live process: code may copy its credentials
 * anywhere at start-up (an SDK client built at module scope, a signer made once), so the only
 * way to be sure no process holds expired ones is that no process outlives them.
 * - fork per request (`process`, `python3`): each process gets a fresh set and lives at most its
 *   timeout, far less than the credentials' lifetime;
 * - warm instances (`node`): an instance gets a fresh set when it starts and takes no new
 *   invocation once older than {@link instanceMaxAgeMs}; it retires when its last one ends.
 *   An invocation started before that age ends (or is killed) within the timeout, so even the
 *   last one finishes a margin before the credentials expire.
 */

/** Where a runtime gets its function's credentials. */
export interface InstanceCredentials {
	/** The variables of a freshly issued set, valid for {@link lifetimeMs} from now. */
	issue(): Readonly<Record<string, string>>;
	/** How long each issued set stays valid. */
	readonly lifetimeMs: number;
}

/** Room kept between the end of the last invocation an instance may run and its credentials' expiry. */
export function renewalMarginMs(lifetimeMs: number): number {
	return Math.min(60_000, Math.floor(lifetimeMs / 10));
}

/**
 * How old a warm instance may be and still take an invocation: the credentials' lifetime less
 * one timeout (the last invocation's longest run) and the margin. Throws when nothing is left,
 * which only a misconfiguration can cause (a session shorter than a timeout).
 */
export function instanceMaxAgeMs(
	lifetimeMs: number,
	timeoutMs: number,
): number {
	const age = lifetimeMs - timeoutMs - renewalMarginMs(lifetimeMs);
	if (!(age > 0))
		throw new TypeError(
			`credentials living ${lifetimeMs} ms cannot cover an invocation timeout of ${timeoutMs} ms`,
		);
	return age;
}

/**
 * An instance factory whose every instance starts with a freshly issued set (`make` builds the
 * factory for one set's variables); without credentials, `make({})` as it is.
 */
export function freshPerInstance<F extends (events: never) => unknown>(
	credentials: InstanceCredentials | undefined,
	make: (issued: Readonly<Record<string, string>>) => F,
): F {
	if (credentials === undefined) return make({});
	return ((events: never) => make(credentials.issue())(events)) as F;
}

/**
 * For what gets its variables per invocation (a fork-per-request process, a warm host that
 * resets its environment for each one): one set, reused while an invocation started now still
 * ends (within `timeoutMs`) a margin before it expires, then a new one.
 */
export function reusedCredentials(
	credentials: InstanceCredentials | undefined,
	timeoutMs: number,
	now: () => number = Date.now,
): () => Readonly<Record<string, string>> {
	if (credentials === undefined) return () => ({});
	const maxAge = instanceMaxAgeMs(credentials.lifetimeMs, timeoutMs);
	let current:
		| { env: Readonly<Record<string, string>>; at: number }
		| undefined;
	return () => {
		const at = now();
		if (current === undefined || at - current.at >= maxAge)
			current = { env: credentials.issue(), at };
		return current.env;
	};
}
