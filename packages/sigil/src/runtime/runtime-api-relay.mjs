/**
 * Inside a `provided` function's sandbox: gives its bootstrap the Runtime API at
 * 127.0.0.1:PORT, as Lambda does, by relaying every TCP connection to the instance's own
 * Runtime API socket (bound into the sandbox from the gateway). The sandbox has a network
 * namespace of its own, so this port is the instance's alone: nothing else on the host can
 * reach it, and the bootstrap can reach no other instance's.
 *
 * argv: SOCKET PORT COMMAND… — listens, then starts COMMAND (prlimit … bootstrap) with
 * AWS_LAMBDA_RUNTIME_API set, and exits as it does (its status, or 128 + its signal).
 * Plain JavaScript with Node's builtins only: it runs before anything of the function.
 */
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { constants } from "node:os";

const [socketPath, port, ...command] = process.argv.slice(2);

const server = createServer((client) => {
	const upstream = connect(socketPath);
	client.pipe(upstream);
	upstream.pipe(client);
	client.on("error", () => upstream.destroy());
	upstream.on("error", () => client.destroy());
	client.on("close", () => upstream.destroy());
	upstream.on("close", () => client.destroy());
});

server.listen(Number(port), "127.0.0.1", () => {
	const child = spawn(command[0], command.slice(1), {
		stdio: "inherit",
		env: { ...process.env, AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` },
	});
	child.on("error", (err) => {
		process.stderr.write(`bootstrap could not be started (${err.code})\n`);
		process.exit(127);
	});
	child.on("exit", (code, signal) =>
		process.exit(code ?? 128 + (constants.signals[signal] ?? 0)),
	);
});
