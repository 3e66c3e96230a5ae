// Attack class: callback SSRF (issue 8). The caller chooses `X-Callback-Url`, so every textual
// form of a loopback, private or otherwise internal address must be refused — not only the
// dotted-quad spelling — whether the attacker writes it raw or the URL parser normalises it.
// A property test generates encodings of forbidden addresses (and a sample of public ones that
// must stay allowed); an end-to-end test aims a real gateway's callback at a loopback listener.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
	type CallbackOutcome,
	checkCallbackUrl,
	type DeliveryOptions,
	redactCallbackUrl,
	sendCallback,
} from "../../src/async/callback.ts";
import {
	formatAddress,
	isPrivateAddress,
	parseAddress,
} from "../../src/async/callback-address.ts";
import type { CliIo } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";
import {
	type AsyncTestGateway,
	type JobJson,
	startAsyncGateway,
	startReceiver,
} from "../async-helpers.ts";
import { ROOT_KEY } from "../helpers/gateway.ts";

// ---------------------------------------------------------------------------------------------
// The reference: ranges written out here independently of the implementation.

/** IPv4 blocks no callback may reach (RFC 6890 special-purpose registry, non-global entries). */
const FORBIDDEN_V4: ReadonlyArray<readonly [string, number]> = [
	["0.0.0.0", 8], // "this network", unspecified
	["10.0.0.0", 8],
	["100.64.0.0", 10], // carrier-grade NAT
	["127.0.0.0", 8], // loopback
	["169.254.0.0", 16], // link-local, cloud metadata
	["172.16.0.0", 12],
	["192.0.0.0", 24], // IETF protocol assignments
	["192.0.2.0", 24], // TEST-NET-1
	["192.88.99.0", 24], // 6to4 relay anycast
	["192.168.0.0", 16],
	["198.18.0.0", 15], // benchmarking
	["198.51.100.0", 24], // TEST-NET-2
	["203.0.113.0", 24], // TEST-NET-3
	["224.0.0.0", 4], // multicast
	["240.0.0.0", 4], // reserved, broadcast
];

function v4Number(dotted: string): number {
	return dotted.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}

function inV4Block(n: number): boolean {
	return FORBIDDEN_V4.some(([base, bits]) => {
		const size = 2 ** (32 - bits);
		const start = v4Number(base);
		return n >= start && n < start + size;
	});
}

const forbiddenV4 = fc
	.constantFrom(...FORBIDDEN_V4)
	.chain(([base, bits]) =>
		fc
			.integer({ min: 0, max: 2 ** (32 - bits) - 1 })
			.map((offset) => v4Number(base) + offset),
	);

const publicV4 = fc
	.integer({ min: 0, max: 0xffffffff })
	.filter((n) => !inV4Block(n));

// ---------------------------------------------------------------------------------------------
// Encodings.

const bytesOf = (n: number) => [
	n >>> 24,
	(n >>> 16) & 255,
	(n >>> 8) & 255,
	n & 255,
];

/** One number as inet_aton reads it: decimal, octal (leading 0) or hex (0x, any case). */
function numberForm(n: number, radix: "dec" | "oct" | "hex", upper: boolean) {
	if (radix === "dec") return String(n);
	if (radix === "oct") return `0${n.toString(8)}`;
	const hex = n.toString(16);
	return upper ? `0X${hex.toUpperCase()}` : `0x${hex}`;
}

const radix = fc.constantFrom("dec", "oct", "hex") as fc.Arbitrary<
	"dec" | "oct" | "hex"
>;

/** Every IPv4 spelling a URL host may use: 1 to 4 parts, each in any radix, optional trailing dot. */
function v4Text(n: number): fc.Arbitrary<string> {
	return fc
		.record({
			parts: fc.integer({ min: 1, max: 4 }),
			radixes: fc.array(radix, { minLength: 4, maxLength: 4 }),
			upper: fc.boolean(),
			trailingDot: fc.boolean(),
		})
		.map(({ parts, radixes, upper, trailingDot }) => {
			const b = bytesOf(n);
			// The last part holds every remaining byte: 127.1 is 127.0.0.1, 2130706433 is too.
			const values =
				parts === 4
					? b
					: parts === 3
						? [b[0], b[1], (b[2] as number) * 256 + (b[3] as number)]
						: parts === 2
							? [
									b[0],
									(((b[1] as number) << 16) |
										((b[2] as number) << 8) |
										(b[3] as number)) >>>
										0,
								]
							: [n];
			const text = values
				.map((v, i) =>
					numberForm(v as number, radixes[i] as "dec" | "oct" | "hex", upper),
				)
				.join(".");
			return trailingDot ? `${text}.` : text;
		});
}

/** Eight 16-bit words as IPv6 text: zero-padded or not, any case, `::` at any zero run, dotted tail. */
function v6Text(words: readonly number[]): fc.Arbitrary<string> {
	return fc
		.record({
			pad: fc.array(fc.integer({ min: 0, max: 3 }), {
				minLength: 8,
				maxLength: 8,
			}),
			upper: fc.boolean(),
			dottedTail: fc.boolean(),
			compress: fc.nat(),
		})
		.map(({ pad, upper, dottedTail, compress }) => {
			let parts = words.map((w, i) => {
				const h = w.toString(16);
				const padded = h.padStart(
					Math.min(4, h.length + (pad[i] as number)),
					"0",
				);
				return upper ? padded.toUpperCase() : padded;
			});
			if (dottedTail) {
				const hi = words[6] as number;
				const lo = words[7] as number;
				parts = [
					...parts.slice(0, 6),
					`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`,
				];
			}
			// Zero runs (of the word columns, not the dotted tail) that may become "::".
			const runs: [number, number][] = [];
			const limit = dottedTail ? 6 : 8;
			for (let i = 0; i < limit; i++) {
				if (words[i] !== 0) continue;
				let j = i;
				while (j < limit && words[j] === 0) j++;
				for (let a = i; a < j; a++)
					for (let z = a + 1; z <= j; z++) runs.push([a, z]);
				i = j;
			}
			const choice = compress % (runs.length + 1);
			if (choice === runs.length) return parts.join(":");
			const [a, z] = runs[choice] as [number, number];
			return `${parts.slice(0, a).join(":")}::${parts.slice(z).join(":")}`;
		});
}

const word = fc.integer({ min: 0, max: 0xffff });
const v4Words = (n: number) => [n >>> 16, n & 0xffff];

/** IPv6 addresses that are themselves internal. */
const forbiddenV6Words: fc.Arbitrary<readonly number[]> = fc.oneof(
	fc.constant([0, 0, 0, 0, 0, 0, 0, 1]), // ::1
	fc.constant([0, 0, 0, 0, 0, 0, 0, 0]), // ::
	fc
		.tuple(
			fc.integer({ min: 0xfe80, max: 0xfebf }),
			fc.array(word, { minLength: 7, maxLength: 7 }),
		)
		.map(([w, r]) => [w, ...r]), // fe80::/10 link-local
	fc
		.tuple(
			fc.integer({ min: 0xfc00, max: 0xfdff }),
			fc.array(word, { minLength: 7, maxLength: 7 }),
		)
		.map(([w, r]) => [w, ...r]), // fc00::/7 unique-local
	fc
		.tuple(
			fc.integer({ min: 0xff00, max: 0xffff }),
			fc.array(word, { minLength: 7, maxLength: 7 }),
		)
		.map(([w, r]) => [w, ...r]), // ff00::/8 multicast
);

/** IPv6 forms that carry a forbidden IPv4 address: mapped, compatible, translated, NAT64, 6to4. */
const embeddedV6Words: fc.Arbitrary<readonly number[]> = fc
	.tuple(
		forbiddenV4,
		fc.constantFrom("mapped", "compatible", "translated", "nat64", "6to4"),
		fc.array(word, { minLength: 5, maxLength: 5 }),
	)
	.map(([n, kind, rest]) => {
		const [hi, lo] = v4Words(n) as [number, number];
		switch (kind) {
			case "mapped":
				return [0, 0, 0, 0, 0, 0xffff, hi, lo];
			case "compatible":
				return [0, 0, 0, 0, 0, 0, hi, lo];
			case "translated":
				return [0, 0, 0, 0, 0xffff, 0, hi, lo];
			case "nat64":
				return [0x64, 0xff9b, 0, 0, 0, 0, hi, lo];
			default:
				return [0x2002, hi, lo, ...rest];
		}
	});

const v6Canonical = (words: readonly number[]) =>
	formatAddress({ family: 6, words });
const v4Canonical = (n: number) => formatAddress({ family: 4, value: n });

/** A forbidden address in some spelling, with the canonical text it must parse to. */
const forbiddenText: fc.Arbitrary<{
	raw: string;
	v6: boolean;
	canonical: string;
}> = fc.oneof(
	forbiddenV4.chain((n) =>
		v4Text(n).map((raw) => ({ raw, v6: false, canonical: v4Canonical(n) })),
	),
	fc.oneof(forbiddenV6Words, embeddedV6Words).chain((words) =>
		v6Text(words).map((raw) => ({
			raw,
			v6: true,
			canonical: v6Canonical(words),
		})),
	),
);

/** The hostname the WHATWG URL parser makes of a host, as the callback's delivery sees it. */
function urlHost(raw: string, v6: boolean): string | undefined {
	const checked = checkCallbackUrl(`http://${v6 ? `[${raw}]` : raw}:8080/hook`);
	if (!checked.ok) return undefined; // refused at enqueue: nothing to deliver
	return new URL(checked.url).hostname.replace(/^\[|\]$/g, "");
}

describe("callback address forms", () => {
	test("every encoding of a forbidden address is refused, raw and as the URL parser leaves it", () => {
		fc.assert(
			fc.property(forbiddenText, ({ raw, v6, canonical }) => {
				// Refused because it was understood, not merely because it did not parse.
				const parsed = parseAddress(raw);
				assert.ok(parsed, `${raw} parses`);
				assert.equal(formatAddress(parsed), canonical, raw);
				assert.equal(isPrivateAddress(raw), true, `raw ${raw}`);
				const host = urlHost(raw, v6);
				if (host !== undefined)
					assert.equal(isPrivateAddress(host), true, `${raw} → ${host}`);
			}),
			{ numRuns: 3000 },
		);
	});

	test("the forms named in the issue are refused", () => {
		for (const raw of [
			"::ffff:127.0.0.1",
			"::ffff:7f00:1",
			"0:0:0:0:0:ffff:7f00:1",
			"0000:0000:0000:0000:0000:FFFF:127.0.0.1",
			"::127.0.0.1",
			"::7f00:1",
			"::ffff:a9fe:a9fe",
			"64:ff9b::7f00:1",
			"2002:7f00:1::1",
			"2002:a9fe:a9fe::",
			"fe80::1%eth0",
			"2130706433",
			"0177.0.0.1",
			"0x7f.1",
			"127.1",
			"127.0.0.1.",
		])
			assert.equal(isPrivateAddress(raw), true, raw);
		for (const url of [
			"http://[::ffff:127.0.0.1]:9/",
			"http://[::ffff:7f00:1]:9/",
			"http://[0:0:0:0:0:ffff:127.0.0.1]:9/",
			"http://[::127.0.0.1]:9/",
			"http://2130706433:9/",
			"http://0177.0.0.1:9/",
			"http://0x7f.1:9/",
			"http://127.1:9/",
			"http://127.0.0.1.:9/",
		]) {
			const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
			assert.equal(isPrivateAddress(host), true, `${url} → ${host}`);
		}
	});

	test("a zone id changes nothing, and text that is not an address is never taken for a public one", () => {
		fc.assert(
			fc.property(
				fc.oneof(forbiddenV6Words, embeddedV6Words).chain(v6Text),
				fc.stringMatching(/^[a-z0-9]{1,8}$/),
				(raw, zone) => {
					assert.equal(isPrivateAddress(`${raw}%${zone}`), true);
					assert.equal(isPrivateAddress(`[${raw}%25${zone}]`), true);
				},
			),
		);
		for (const junk of [
			"",
			"example.com",
			"1.2.3.4.5",
			"::ffff:1.2.3",
			"1::2::3",
			"0x",
			"256.1.1.1.",
		])
			assert.equal(isPrivateAddress(junk), true, junk);
	});

	test("a sample of public addresses, in any encoding, is allowed", () => {
		fc.assert(
			fc.property(
				publicV4.chain((n) =>
					fc.oneof(
						v4Text(n).map((raw) => ({ raw, v6: false })),
						v6Text([0, 0, 0, 0, 0, 0xffff, ...v4Words(n)]).map((raw) => ({
							raw,
							v6: true,
						})),
					),
				),
				({ raw, v6 }) => {
					const host = urlHost(raw, v6);
					assert.ok(host !== undefined, raw);
					assert.equal(isPrivateAddress(host), false, `${raw} → ${host}`);
				},
			),
			{ numRuns: 1000 },
		);
		for (const ip of [
			"8.8.8.8",
			"1.1.1.1",
			"172.32.0.1",
			"100.128.0.1",
			"2606:4700::1111",
			"2a00:1450:4001:80b::200e",
			"::ffff:8.8.8.8",
		])
			assert.equal(isPrivateAddress(ip), false, ip);
	});
});

// ---------------------------------------------------------------------------------------------
// Delivery: resolve once, connect to what was checked, never follow a redirect.

const CB = {
	callId: "c1",
	functionName: "f",
	status: 200,
	durationSeconds: 0.01,
	body: Buffer.from("result"),
};
const OPTS: DeliveryOptions = {
	allowPrivate: false,
	attempts: 2,
	timeoutMs: 2000,
	retryDelayMs: 10,
};

describe("callback delivery", () => {
	test("a name is resolved once; every attempt connects to the address that was checked", async () => {
		// The receiver fails the first POST so that there is a second attempt to observe.
		let hits = 0;
		const receiver = await startReceiver(503);
		try {
			const port = new URL(receiver.url).port;
			let lookups = 0;
			const outcome = await sendCallback(
				{ ...CB, url: `http://rebind.test:${port}/hook` },
				{
					...OPTS,
					allowPrivate: true,
					// A rebinding resolver: the first answer is the one checked, later ones point elsewhere.
					resolve: async () =>
						lookups++ === 0
							? [{ address: "127.0.0.1", family: 4 }]
							: [{ address: "192.0.2.1", family: 4 }],
				},
			);
			hits = receiver.received.length;
			assert.equal(lookups, 1, "resolved once per delivery");
			assert.equal(hits, 2, "both attempts reached the checked address");
			assert.equal(receiver.received[0]?.headers.host, `rebind.test:${port}`);
			assert.deepEqual(
				[
					outcome.outcome,
					outcome.httpStatus,
					outcome.attempts,
					outcome.address,
				],
				["failed", 503, 2, "127.0.0.1"],
			);
		} finally {
			await receiver.close();
		}
	});

	test("a name with any private address among its answers is refused without a connection", async () => {
		const receiver = await startReceiver();
		try {
			const port = new URL(receiver.url).port;
			for (const answers of [
				[{ address: "127.0.0.1", family: 4 }],
				[
					{ address: "8.8.8.8", family: 4 },
					{ address: "::ffff:7f00:1", family: 6 },
				],
				[{ address: "fd00::1", family: 6 }],
				[{ address: "64:ff9b::a9fe:a9fe", family: 6 }],
			]) {
				const outcome: CallbackOutcome = await sendCallback(
					{ ...CB, url: `http://inside.test:${port}/hook` },
					{ ...OPTS, resolve: async () => answers },
				);
				assert.equal(outcome.outcome, "refused", JSON.stringify(answers));
				assert.equal(outcome.attempts, 0);
				assert.match(outcome.error ?? "", /not a public address/);
			}
			assert.equal(receiver.received.length, 0);
		} finally {
			await receiver.close();
		}
	});

	test("a resolver that never answers costs one timeout, and nothing is sent", async () => {
		const outcome = await sendCallback(
			{ ...CB, url: "http://slow.test/hook" },
			{ ...OPTS, timeoutMs: 50, resolve: () => new Promise(() => {}) },
		);
		assert.equal(outcome.outcome, "refused");
		assert.match(
			outcome.error ?? "",
			/no answer from the resolver within 50 ms/,
		);
	});

	test("a redirect is an answer, not an instruction: the Location is never fetched", async () => {
		const elsewhere = await startReceiver();
		const { createServer } = await import("node:http");
		const redirector = createServer((_req, res) => {
			res.writeHead(307, { location: elsewhere.url });
			res.end();
		});
		await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
		try {
			const { port } = redirector.address() as { port: number };
			const outcome = await sendCallback(
				{ ...CB, url: `http://127.0.0.1:${port}/hook` },
				{ ...OPTS, allowPrivate: true },
			);
			assert.deepEqual(
				[outcome.outcome, outcome.httpStatus, outcome.attempts],
				["failed", 307, 1],
				"a 3xx is final, not retried",
			);
			assert.match(outcome.error ?? "", /redirects are not followed/);
			assert.equal(elsewhere.received.length, 0);
		} finally {
			redirector.close();
			await elsewhere.close();
		}
	});

	test("SIGIL_CALLBACK_ALLOW_PRIVATE still reaches loopback, in any spelling", async () => {
		const receiver = await startReceiver();
		try {
			const port = new URL(receiver.url).port;
			for (const host of ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0x7f.1"]) {
				const outcome = await sendCallback(
					{ ...CB, url: `http://${host}:${port}/ok` },
					{ ...OPTS, allowPrivate: true },
				);
				assert.equal(outcome.outcome, "delivered", `${host}: ${outcome.error}`);
				// A mapped address is dialled as the IPv4 address it is.
				assert.equal(outcome.address, "127.0.0.1");
			}
			assert.equal(receiver.received.length, 3);
		} finally {
			await receiver.close();
		}
	});

	test("the recorded target keeps no credential: user information and query values are dropped", () => {
		assert.equal(
			redactCallbackUrl(
				"https://u:p@hooks.example:8443/in/path?token=s3cret&x=1#frag",
			),
			"https://hooks.example:8443/in/path?token=…&x=…",
		);
		assert.equal(redactCallbackUrl("http://[::1]/"), "http://[::1]/");
	});
});

// ---------------------------------------------------------------------------------------------
// End to end: a real gateway that refuses private callbacks (the production default).

let gw: AsyncTestGateway;
before(async () => {
	gw = await startAsyncGateway({ async: { allowPrivateCallbacks: false } });
	await gw.deploy(
		"echo",
		{ runtime: "node", trigger: { auth: "none" } },
		{
			"index.mjs": `export const handler = async (event) => ({ statusCode: 200, body: "secret output " + event.body });`,
		},
	);
});
after(() => gw.stop());

describe("a callback aimed at loopback through a mapped IPv6 address", () => {
	for (const host of [
		"[::ffff:127.0.0.1]",
		"[::ffff:7f00:1]",
		"[::127.0.0.1]",
		"2130706433",
		"0x7f.1",
	])
		test(`http://${host}:PORT/ never reaches the loopback listener`, async () => {
			const receiver = await startReceiver();
			try {
				const port = new URL(receiver.url).port;
				const res = await fetch(`${gw.url}/async-function/echo`, {
					method: "POST",
					body: "ping",
					headers: { "x-callback-url": `http://${host}:${port}/stolen` },
				});
				assert.equal(res.status, 202);
				const id = res.headers.get("x-call-id") as string;
				// The callback is attempted before the job is closed, so a final state means it is over.
				const job = (await gw.waitForJob(id, [
					"succeeded",
					"failed",
					"dead",
				])) as JobWithCallback;
				assert.equal(receiver.received.length, 0, "nothing reached loopback");
				// The job ran; its callback is recorded as refused, with the reason.
				assert.equal(job.status, "succeeded");
				assert.equal(job.callback?.outcome, "refused", JSON.stringify(job));
				assert.equal(job.callback?.attempts, 0);
				assert.equal(
					job.callback?.target,
					new URL(`http://${host}:${port}/stolen`).href,
				);
				assert.match(
					job.callback?.error ?? "",
					/loopback \(127\.0\.0\.0\/8\), not a public address/,
				);
				const shown = await sigil("job", id);
				assert.equal(shown.code, 0, shown.err);
				assert.match(shown.out, /Delivery: +refused after 0 attempts/);
				assert.match(shown.out, /refused: .*loopback \(127\.0\.0\.0\/8\)/);
			} finally {
				await receiver.close();
			}
		});
});

interface JobWithCallback extends JobJson {
	callback?: {
		outcome: string;
		target: string;
		attempts: number;
		error: string | null;
	} | null;
}

/** `sigil …` against the test gateway, as the root account. */
async function sigil(
	...argv: string[]
): Promise<{ code: number; out: string; err: string }> {
	let out = "";
	let err = "";
	const io: CliIo = {
		stdout: { write: (c) => (out += String(c)) },
		stderr: { write: (c) => (err += String(c)) },
		stdin: Object.assign(Readable.from([]), { isTTY: true }),
		env: {
			SIGIL_URL: gw.url,
			SIGIL_ACCESS_KEY_ID: ROOT_KEY.accessKeyId,
			SIGIL_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey,
			SIGIL_CONFIG_DIR: `${gw.dataDir}/cfg`,
		},
		cwd: gw.dataDir,
		stopSignal: () => new Promise(() => {}),
	};
	const code = await main(argv, io);
	return { code, out, err };
}
