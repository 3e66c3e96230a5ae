// Reading a request body (gateway/body.ts) off stream events: whole bodies come back as sent,
// the limit is kept mid-stream, and every way a client can go away settles the read — a read
// that never settles is a request that never finishes.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { readBody } from "../src/gateway/body.ts";
import type { Exchange } from "../src/gateway/exchange.ts";

function request(headers: Record<string, string>): PassThrough & {
	headers: Record<string, string>;
} {
	return Object.assign(new PassThrough(), { headers });
}

const exchangeOf = (req: PassThrough) => ({ req }) as unknown as Exchange;

/** `p`, or a failure naming what hung. */
function settles<T>(p: Promise<T>, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		p,
		new Promise<T>((_, reject) => {
			timer = setTimeout(
				() => reject(new Error(`${what}: never settled`)),
				1_000,
			);
		}),
	]).finally(() => clearTimeout(timer));
}

test("a body in several chunks comes back whole", async () => {
	const req = request({ "transfer-encoding": "chunked" });
	const read = readBody(exchangeOf(req), 100);
	req.write("hello ");
	req.write("wor");
	req.end("ld");
	assert.equal((await settles(read, "read")).toString(), "hello world");
});

test("no body: empty, without reading", async () => {
	const req = request({});
	assert.equal((await readBody(exchangeOf(req), 100)).length, 0);
});

test("over the limit: from Content-Length before a byte, or mid-stream", async () => {
	await assert.rejects(
		readBody(exchangeOf(request({ "content-length": "101" })), 100),
		{ code: "BODY_TOO_LARGE" },
	);
	const req = request({ "transfer-encoding": "chunked" });
	const read = readBody(exchangeOf(req), 10);
	req.write("0123456789");
	req.write("!");
	await assert.rejects(settles(read, "read over the limit"), {
		code: "BODY_TOO_LARGE",
	});
});

test("a client gone before the read starts, or mid-body, or failing: the read is refused", async () => {
	const gone = request({ "content-length": "10" });
	gone.destroy();
	await new Promise((r) => setImmediate(r)); // its 'close' is past before anyone listens
	await assert.rejects(
		settles(readBody(exchangeOf(gone), 100), "gone before"),
		{
			code: "ECONNRESET",
		},
	);

	const cut = request({ "content-length": "10" });
	const read = readBody(exchangeOf(cut), 100);
	cut.write("01234");
	cut.destroy();
	await assert.rejects(settles(read, "gone mid-body"), { code: "ECONNRESET" });

	const failing = request({ "content-length": "10" });
	const failed = readBody(exchangeOf(failing), 100);
	failing.destroy(Object.assign(new Error("reset"), { code: "EPIPE" }));
	await assert.rejects(settles(failed, "error mid-body"), { code: "EPIPE" });
});
