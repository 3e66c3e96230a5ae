/**
 * The external engines the port contract suites run against (Redis, NATS JetStream) and what a
 * suite does when one is missing: in CI (`CI` set) it fails, loudly, naming the URL — a skipped
 * adapter must never look like a passing one; on a developer's machine it skips with that reason.
 * Each run gets its own random suffix for key prefixes and stream names.
 */
import { randomBytes } from "node:crypto";
import { connect, createServer } from "node:net";

export const REDIS_URL =
	process.env.SIGIL_TEST_REDIS ?? "redis://127.0.0.1:6379";
export const NATS_URL = process.env.SIGIL_TEST_NATS ?? "nats://127.0.0.1:4222";

/** A fresh suffix for one run's keys and streams. */
export function runSuffix(): string {
	return randomBytes(5).toString("hex");
}

/** Resolves true when something accepts a TCP connection at the URL's host and port. */
export function tcpReachable(
	url: string,
	defaultPort: number,
	timeoutMs = 1500,
): Promise<boolean> {
	const u = new URL(url);
	const port = Number(u.port || defaultPort);
	const host = u.hostname.replace(/^\[|\]$/g, "");
	return new Promise((resolve) => {
		const socket = connect({ host, port });
		const done = (ok: boolean) => {
			socket.destroy();
			resolve(ok);
		};
		socket.setTimeout(timeoutMs, () => done(false));
		socket.once("connect", () => done(true));
		socket.once("error", () => done(false));
	});
}

/**
 * `undefined` when the service answers; otherwise the skip reason outside CI. In CI it throws:
 * the suite's first test fails with the URL in its message.
 */
export async function serviceSkip(
	name: string,
	url: string,
	defaultPort: number,
): Promise<string | undefined> {
	if (await tcpReachable(url, defaultPort)) return undefined;
	const reason = `${name} is not reachable at ${url}`;
	if (process.env.CI)
		throw new Error(
			`${reason}: CI must run this adapter's contract suite against a live ${name} (start it, or set the URL)`,
		);
	return `${reason} (skipped outside CI; CI fails instead)`;
}

export function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

/** A port nothing listens on right now on 127.0.0.1, for a server a test starts itself. */
export async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	const port = (server.address() as { port: number }).port;
	await new Promise((r) => server.close(r));
	return port;
}
