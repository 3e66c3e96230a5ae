/**
 * Load from wrk (Debian package `wrk`), not from Node: a Node load generator saturates before a
 * bare node:http server does and hides the gateway's own ceiling. Every request wrk sends is a
 * complete HTTP/1.1 request written here before the clock starts (signed ones included); a small
 * Lua script reads that file and rotates through it, so wrk spends its core on sending, and the
 * figures come back as one JSON line from the script's `done` hook.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

export const WRK = process.env.BENCH_WRK ?? "/usr/bin/wrk";

export interface WrkRequest {
	readonly method: string;
	/** Path and query, as they travel (and as they were signed). */
	readonly path: string;
	readonly headers?: Readonly<Record<string, string>>;
	readonly body?: string;
}

export interface WrkFigures {
	readonly requests: number;
	readonly rps: number;
	readonly p50Ms: number;
	readonly p90Ms: number;
	readonly p99Ms: number;
	readonly maxMs: number;
	/** Socket errors (connect, read, write, timeout) plus answers with a status of 400 or more. */
	readonly errors: number;
	readonly errorKinds: Readonly<Record<string, number>>;
}

/** The request as bytes on the wire; `host` is the Host header the signature (if any) covered. */
export function rawRequest(host: string, r: WrkRequest): string {
	const body = r.body ?? "";
	const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${host}`];
	for (const [name, value] of Object.entries(r.headers ?? {}))
		lines.push(`${name}: ${value}`);
	if (body !== "" || r.method === "POST" || r.method === "PUT")
		lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
	return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

// Entries are "LENGTH\n" then LENGTH bytes. Each wrk thread starts at its own offset, so the two
// threads do not send the same request at the same moment.
const LUA = `
local reqs, n, i = {}, 0, 0
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  local f = assert(io.open(args[1], "rb"))
  while true do
    local line = f:read("*l")
    if not line then break end
    local len = tonumber(line)
    n = n + 1
    reqs[n] = f:read(len)
  end
  f:close()
  i = math.floor(((tid or 1) - 1) * n / 2)
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"wrk":1,"requests":%d,"durationUs":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
`;

/** Writes the Lua script and the request file for one case into `dir`; returns the script's path. */
export async function prepare(
	dir: string,
	name: string,
	host: string,
	requests: readonly WrkRequest[],
): Promise<{ script: string; requestsFile: string }> {
	const script = join(dir, "rotate.lua");
	await writeFile(script, LUA);
	const requestsFile = join(dir, `${name}.requests`);
	const parts: Buffer[] = [];
	for (const r of requests) {
		const raw = Buffer.from(rawRequest(host, r), "utf8");
		parts.push(Buffer.from(`${raw.length}\n`), raw);
	}
	await writeFile(requestsFile, Buffer.concat(parts));
	return { script, requestsFile };
}

/** Runs wrk for `seconds` against `url` with the prepared requests. */
export function runWrk(o: {
	readonly url: string;
	readonly script: string;
	readonly requestsFile: string;
	readonly seconds: number;
	readonly connections: number;
	readonly threads: number;
	/** Runs wrk on these CPUs only (`taskset -c`), e.g. "1". */
	readonly cpus?: string;
}): Promise<WrkFigures> {
	const args = [
		`-t${o.threads}`,
		`-c${o.connections}`,
		`-d${o.seconds}s`,
		"--timeout",
		"5s",
		"-s",
		o.script,
		o.url,
		"--",
		o.requestsFile,
	];
	return new Promise((resolve, reject) => {
		const [file, argv] =
			o.cpus === undefined
				? [WRK, args]
				: ["taskset", ["-c", o.cpus, WRK, ...args]];
		execFile(
			file,
			argv,
			{ timeout: (o.seconds + 30) * 1000, maxBuffer: 1024 * 1024 },
			(err, stdout, stderr) => {
				if (err) {
					reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
					return;
				}
				const line = stdout.split("\n").find((l) => l.startsWith('{"wrk":'));
				if (!line) {
					reject(new Error(`wrk printed no figures:\n${stdout}\n${stderr}`));
					return;
				}
				resolve(figuresOf(JSON.parse(line) as Record<string, number>));
			},
		);
	});
}

function figuresOf(w: Record<string, number>): WrkFigures {
	const n = (k: string) => w[k] ?? 0;
	const errorKinds = {
		connect: n("connect"),
		read: n("read"),
		write: n("write"),
		status: n("status"),
		timeout: n("timeout"),
	};
	return {
		requests: n("requests"),
		rps: n("requests") / (n("durationUs") / 1e6),
		p50Ms: n("p50Us") / 1000,
		p90Ms: n("p90Us") / 1000,
		p99Ms: n("p99Us") / 1000,
		maxMs: n("maxUs") / 1000,
		errors: Object.values(errorKinds).reduce((a, b) => a + b, 0),
		errorKinds,
	};
}
