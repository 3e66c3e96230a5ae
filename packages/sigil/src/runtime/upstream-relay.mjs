/**
 * Inside an `http` function's sandbox: starts the function's own server (of-watchdog's
 * `fprocess`, told its port in PORT) and, once that port accepts connections on the sandbox's
 * own loopback, offers it to the gateway as a Unix socket in the folder bound from the gateway.
 * The sandbox has a network namespace of its own, so the server's port is reachable from nowhere
 * else: not from another function, not from a local user — only through this socket, which is
 * the gateway's, behind the trigger's authentication.
 *
 * argv: SOCKET PORT COMMAND… — exits as COMMAND does (its status, or 128 + its signal).
 * Plain JavaScript with Node's builtins only: it runs before anything of the function.
 */
import { spawn } from "node:child_process";
import { unlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { constants } from "node:os";

const [socketPath, port, ...command] = process.argv.slice(2);
const PROBE_MS = 20;
/** After its socket is unlinked, how long the relay goes on accepting what was queued. */
const BACKLOG_DRAIN_MS = 50;

const child = spawn(command[0], command.slice(1), {
	stdio: "inherit",
	env: { ...process.env, PORT: port },
});
child.on("error", (err) => {
	process.stderr.write(`the server could not be started (${err.code})\n`);
	process.exit(127);
});
/** Connections being relayed: on the server's exit they are let finish (briefly) first. */
const open = new Set();
let offered;
child.on("exit", (code, signal) => {
	const status = code ?? 128 + (constants.signals[signal] ?? 0);
	const done = () => process.exit(status);
	if (offered === undefined) return done();
	// No new connection from now on: the socket's name goes first, so a gateway connecting finds
	// nothing (ENOENT, retried once the server is back). Closing the listening socket at once
	// would reset a connection already waiting in its backlog — which the gateway cannot tell
	// from a server that read its request and died. Those are still accepted for a moment, and
	// answered "upstream-refused" like every connection the relay takes from now on.
	try {
		unlinkSync(socketPath);
	} catch {}
	setTimeout(() => {
		offered.close();
		if (open.size === 0) return done();
		setTimeout(done, 500).unref();
		const check = setInterval(() => {
			if (open.size === 0) done();
		}, 10);
		check.unref();
	}, BACKLOG_DRAIN_MS);
});

/**
 * The answer for a connection the server refused (it died, and is being restarted): nothing
 * reached it, so the gateway may send the request again — as it does when a server it reaches
 * directly refuses. A server sending this header itself only gets its own request retried.
 */
const REFUSED =
	"HTTP/1.1 503 Service Unavailable\r\nx-sigil-relay: upstream-refused\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";

function relay(client) {
	open.add(client);
	client.once("close", () => open.delete(client));
	const upstream = connect({ host: "127.0.0.1", port: Number(port) });
	let connected = false;
	upstream.once("connect", () => {
		connected = true;
	});
	client.pipe(upstream);
	upstream.pipe(client);
	client.on("error", () => upstream.destroy());
	upstream.on("error", (err) => {
		if (!connected && err.code === "ECONNREFUSED" && client.writable) {
			client.unpipe(upstream);
			client.end(REFUSED);
			return;
		}
		client.destroy();
	});
	client.on("close", () => upstream.destroy());
	upstream.on("close", () => {
		if (connected) client.destroy();
	});
}

/** The socket appears only once the server listens: its existence is the readiness signal. */
function offerWhenListening() {
	const probe = connect({ host: "127.0.0.1", port: Number(port) });
	probe.once("connect", () => {
		probe.destroy();
		offered = createServer(relay).listen(socketPath);
	});
	probe.once("error", () => setTimeout(offerWhenListening, PROBE_MS));
}
offerWhenListening();
