// Callbacks go only to public addresses unless the operator allows private ones: the caller
// chooses the URL, so it must not become a way into the gateway's own network.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { deliverCallback } from "../src/async/callback.ts";
import { isPrivateAddress } from "../src/async/callback-address.ts";

test("loopback, private, link-local, CGNAT, multicast and unique-local addresses are private; public ones are not", () => {
	for (const ip of [
		"127.0.0.1",
		"10.1.2.3",
		"172.16.0.1",
		"172.31.255.255",
		"192.168.1.1",
		"169.254.169.254",
		"100.64.0.1",
		"0.0.0.0",
		"224.0.0.1",
		"255.255.255.255",
		"::1",
		"::",
		"fe80::1",
		"fd12:3456::1",
		"ff02::1",
		"::ffff:127.0.0.1",
		"::ffff:10.0.0.1",
		"not-an-ip",
	])
		assert.equal(isPrivateAddress(ip), true, ip);
	for (const ip of [
		"8.8.8.8",
		"1.1.1.1",
		"172.32.0.1",
		"172.15.255.255",
		"100.128.0.1",
		"192.169.0.1",
		"2606:4700::1111",
		"::ffff:8.8.8.8",
	])
		assert.equal(isPrivateAddress(ip), false, ip);
});

test("delivery to a loopback receiver is refused by default, and made when allowed", async () => {
	let hits = 0;
	const server = createServer((_req, res) => {
		hits++;
		res.end();
	}).listen(0, "127.0.0.1");
	await new Promise((r) => server.once("listening", r));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/done`;
	const cb = {
		url,
		callId: "c1",
		functionName: "f",
		status: 200,
		durationSeconds: 0.1,
		body: Buffer.from("x"),
	};
	try {
		const refused = await deliverCallback(cb, {
			allowPrivate: false,
			attempts: 2,
			timeoutMs: 1000,
			retryDelayMs: 10,
		});
		assert.match(
			refused ?? "",
			/private or loopback address.*SIGIL_CALLBACK_ALLOW_PRIVATE=1/,
		);
		assert.equal(hits, 0, "nothing was sent");
		const localhost = await deliverCallback(
			{ ...cb, url: url.replace("127.0.0.1", "localhost") },
			{ allowPrivate: false, attempts: 1, timeoutMs: 1000, retryDelayMs: 10 },
		);
		assert.ok(localhost, "a name resolving to loopback is refused too");
		assert.equal(
			await deliverCallback(cb, {
				allowPrivate: true,
				attempts: 1,
				timeoutMs: 1000,
				retryDelayMs: 10,
			}),
			undefined,
		);
		assert.equal(hits, 1);
	} finally {
		server.close();
	}
});
