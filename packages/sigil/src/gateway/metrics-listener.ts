/**
 * `SIGIL_METRICS_LISTEN=HOST:PORT` (GatewayOptions.metricsListen): `/metrics` on a second
 * address of the operator's choosing — typically a private interface that the scraper on
 * another host reaches and tenants do not, as OpenFaaS serves its metrics on their own port.
 *
 * Every caller of that address gets the full view: the operator decided who can connect, by
 * choosing the address (and the firewall around it). So it serves `GET`/`HEAD /metrics` and
 * nothing else — never the API, never a function — and keeps its own tight socket limits, as it
 * is not behind the gateway's route table.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
	CONTENT_TYPE,
	type GatewayMetrics,
} from "../metrics/gateway-metrics.ts";
import type { LogEntry } from "./context.ts";

export interface ListenAddress {
	readonly host: string;
	readonly port: number;
}

/** `127.0.0.1:9464`, `10.0.0.5:9464`, `[::1]:9464`, `0.0.0.0:9464` (port 0: any free port). */
export function parseListenAddress(text: string): ListenAddress {
	const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(
		text.trim(),
	);
	const port = m ? Number(m[3]) : Number.NaN;
	if (!m || !(port >= 0 && port <= 65535))
		throw new Error(
			`SIGIL_METRICS_LISTEN must be HOST:PORT, e.g. 10.0.0.5:9464 or [::1]:9464 (got ${JSON.stringify(text.slice(0, 60))})`,
		);
	return { host: (m[1] ?? m[2]) as string, port };
}

export interface MetricsListener {
	readonly url: string;
	close(): Promise<void>;
}

export async function startMetricsListener(
	at: ListenAddress,
	metrics: GatewayMetrics,
	log: (entry: LogEntry) => void,
): Promise<MetricsListener> {
	const server: Server = createServer(
		// A scraper sends one small request; nothing here should linger.
		{ headersTimeout: 10_000, requestTimeout: 30_000, maxHeaderSize: 8192 },
		(req, res) => {
			const path = (req.url ?? "/").split("?")[0];
			if (path !== "/metrics") {
				res.writeHead(404, { "content-type": "text/plain" });
				res.end("only /metrics is served here\n");
				return;
			}
			if (req.method !== "GET" && req.method !== "HEAD") {
				res.writeHead(405, {
					allow: "GET, HEAD",
					"content-type": "text/plain",
				});
				res.end();
				return;
			}
			metrics.render("all").then(
				(text) => {
					const body = Buffer.from(text);
					res.writeHead(200, {
						"content-type": CONTENT_TYPE,
						"content-length": body.length,
						"cache-control": "no-store",
					});
					res.end(req.method === "HEAD" ? undefined : body);
				},
				(err: unknown) => {
					log({
						at: "error",
						where: "metrics-listener",
						error: err instanceof Error ? err.message : String(err),
					});
					res.writeHead(500, { "content-type": "text/plain" });
					res.end("metrics could not be collected\n");
				},
			);
		},
	);
	server.maxConnections = 64;
	server.timeout = 30_000;
	server.on("clientError", (_err, socket) => socket.destroy());
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(at.port, at.host, () => {
			server.off("error", reject);
			resolve();
		});
	});
	const a = server.address() as AddressInfo;
	const url = `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}/metrics`;
	log({ at: "metrics-listening", url });
	return {
		url,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
