/**
 * The local PostgreSQL for the adapter tests: `PGURL` or `DATABASE_URL`, else
 * postgres://root@127.0.0.1:5432/test (trust auth). Each run works in its own fresh schema
 * (`sigil_test_<random>`), dropped afterwards, so parallel runs never collide. When the server is
 * unreachable: in CI (`CI` set) the suite fails loudly naming the URL; elsewhere it is skipped
 * with that reason.
 */
import { randomBytes } from "node:crypto";
import {
	createConnection,
	createServer,
	type Server,
	type Socket,
} from "node:net";
import { test } from "node:test";
import pg from "pg";

export const PG_URL =
	process.env.PGURL ??
	process.env.DATABASE_URL ??
	"postgres://root@127.0.0.1:5432/test";

/** The URL for messages: a password in it is masked. */
export const PG_URL_SHOWN = (() => {
	try {
		const url = new URL(PG_URL);
		if (url.password) url.password = "***";
		return url.toString();
	} catch {
		return "(an unparsable PGURL/DATABASE_URL)";
	}
})();

/** Why PostgreSQL cannot be used, or undefined when it answers. */
export async function pgUnavailable(): Promise<string | undefined> {
	const client = new pg.Client({
		connectionString: PG_URL,
		connectionTimeoutMillis: 3000,
	});
	try {
		await client.connect();
		await client.query("SELECT 1");
		return undefined;
	} catch (err) {
		return `PostgreSQL at ${PG_URL_SHOWN} is unreachable (${(err as Error).message})`;
	} finally {
		await client.end().catch(() => {});
	}
}

/**
 * The skip option for a PostgreSQL suite: `false` when the server answers. Unreachable in CI: a
 * failing test names the URL (and the suite is skipped, having already failed).
 */
export async function pgSkip(): Promise<false | string> {
	const reason = await pgUnavailable();
	if (reason === undefined) return false;
	if (process.env.CI) {
		test(`PostgreSQL must be reachable in CI: ${PG_URL_SHOWN}`, () => {
			throw new Error(
				`${reason}. CI requires it: start PostgreSQL, or set PGURL/DATABASE_URL to one that answers`,
			);
		});
	}
	return `${reason}; set PGURL or DATABASE_URL to run these tests`;
}

/** A new, unused schema name. */
export function freshSchema(): string {
	return `sigil_test_${randomBytes(6).toString("hex")}`;
}

/** Runs `sql` on a connection of its own (outside any store's pool). */
export async function adminQuery<
	T extends pg.QueryResultRow = pg.QueryResultRow,
>(sql: string, params: unknown[] = []): Promise<T[]> {
	const client = new pg.Client({ connectionString: PG_URL });
	await client.connect();
	try {
		return (await client.query<T>(sql, params)).rows;
	} finally {
		await client.end();
	}
}

export async function dropSchema(schema: string): Promise<void> {
	if (!/^sigil_test_[0-9a-f]+$/.test(schema))
		throw new Error(`refusing to drop ${schema}`);
	await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/**
 * A TCP proxy in front of the test server, to play an outage: `down()` cuts every connection
 * and refuses new ones (as a restarting server does), `up()` lets them through again.
 */
export interface PgProxy {
	readonly url: string;
	down(): void;
	up(): void;
	close(): Promise<void>;
}

export async function startPgProxy(): Promise<PgProxy> {
	const target = new URL(PG_URL);
	const sockets = new Set<Socket>();
	let isUp = true;
	const server: Server = createServer((client) => {
		if (!isUp) {
			client.destroy();
			return;
		}
		const upstream = createConnection(
			Number(target.port || 5432),
			target.hostname,
		);
		for (const s of [client, upstream]) {
			sockets.add(s);
			s.on("close", () => sockets.delete(s));
			s.on("error", () => {});
		}
		client.pipe(upstream).pipe(client);
		client.on("close", () => upstream.destroy());
		upstream.on("close", () => client.destroy());
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as { port: number }).port;
	const url = new URL(PG_URL);
	url.hostname = "127.0.0.1";
	url.port = String(port);
	return {
		url: url.toString(),
		down() {
			isUp = false;
			for (const s of sockets) s.destroy();
		},
		up() {
			isUp = true;
		},
		async close() {
			for (const s of sockets) s.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
