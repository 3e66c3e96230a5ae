// The signature debugger's parsers: shell words, curl commands and raw HTTP text, with
// fast-check properties (what we render, they read back exactly) and the hostile inputs a
// paste can hold. The curl property signs with @smithy/signature-v4 (the AWS SDK v3's signer).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WireRequest } from "@sigil/signature";
import fc from "fast-check";
import { canonicalRequestDifferences } from "../src/console/canonical-diff.ts";
import { checkSigV4 } from "../src/console/check-sigv4.ts";
import {
	CurlCommandError,
	parseCurlCommand,
} from "../src/console/curl-command.ts";
import {
	parseRequestText,
	RequestTextError,
} from "../src/console/request-text.ts";
import { ShellWordsError, shellWords } from "../src/console/shell-words.ts";
import {
	asCurl,
	asRaw,
	shellQuote,
	signRequest,
} from "./helpers/pasted-request.ts";

const BASE = "http://127.0.0.1:8080";
const KEYS = {
	accessKeyId: "AKIAIOSFODNN7EXAMPLE",
	secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

/** bash's $'…' for any string (what Chrome's "Copy as cURL" writes). */
function ansiQuote(s: string): string {
	let out = "$'";
	for (const ch of s) {
		const c = ch.codePointAt(0) as number;
		if (ch === "\\" || ch === "'") out += `\\${ch}`;
		else if (c < 0x20 || c === 0x7f)
			out += `\\x${c.toString(16).padStart(2, "0")}`;
		else out += ch;
	}
	return `${out}'`;
}

describe("shell words", () => {
	test("property: words quoted with '…' or $'…' read back exactly", () => {
		fc.assert(
			fc.property(
				fc.array(fc.string({ unit: "grapheme", maxLength: 30 }), {
					maxLength: 8,
				}),
				fc.boolean(),
				(words, ansi) => {
					const line = words
						.map((w) => (ansi ? ansiQuote(w) : shellQuote(w)))
						.join(" ");
					assert.deepEqual(shellWords(line), words);
				},
			),
			{ numRuns: 300 },
		);
	});

	test("double quotes, backslashes and line continuations as bash reads them", () => {
		assert.deepEqual(
			shellWords(`curl -H "a: \\"b\\" \\\\ c" \\\n  'x'"y"z \\$`),
			["curl", "-H", 'a: "b" \\ c', "xyz", "$"],
		);
	});

	for (const hostile of [
		"curl $URL",
		"curl $(cat f)",
		"curl `id`",
		"curl x | sh",
		"curl x; rm -rf /",
		"curl x > out",
		'curl "$HOME"',
		"curl 'open",
		'curl "open',
	])
		test(`refuses what a shell would evaluate or cannot read: ${hostile}`, () => {
			assert.throws(() => shellWords(hostile), ShellWordsError);
		});
});

describe("curl commands", () => {
	test("property: a request signed by the AWS SDK's signer and rendered as curl checks valid", async () => {
		const segment = fc
			.string({ unit: "grapheme", minLength: 1, maxLength: 12 })
			.map(encodeURIComponent);
		const text = fc.string({ unit: "grapheme", maxLength: 40 });
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
				fc.array(segment, { minLength: 1, maxLength: 4 }),
				fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_.~-]{0,8}$/), text, {
					maxKeys: 3,
				}),
				fc.dictionary(
					fc.stringMatching(/^x-[a-z0-9]{1,10}$/),
					// biome-ignore lint/suspicious/noControlCharactersInRegex: header values cannot hold them
					text.map((v) => v.replace(/[\x00-\x1f\x7f]/g, "").trim()),
					{ maxKeys: 3 },
				),
				text,
				async (method, segments, query, headers, body) => {
					const r = await signRequest(BASE, {
						method,
						path: `/function/hello/${segments.join("/")}`,
						query,
						headers: Object.fromEntries(
							Object.entries(headers).filter(([, v]) => v !== ""),
						),
						body: method === "GET" || method === "DELETE" ? "" : body,
						service: "lambda",
						credentials: KEYS,
					});
					const check = (wire: WireRequest) =>
						checkSigV4({
							wire,
							accessKeyId: KEYS.accessKeyId,
							secretAccessKey: KEYS.secretAccessKey,
							expect: { region: "us-east-1", services: ["lambda"] },
							now: Date.now(),
							maxSkewMs: 300_000,
						});
					const wire = parseCurlCommand(asCurl(r));
					const checked = check(wire);
					assert.equal(
						checked.outcome,
						"valid",
						`${checked.code}: ${checked.message}\n${asCurl(r)}`,
					);
					// The same request as raw text reads the same and checks the same.
					const raw = parseRequestText(asRaw(r));
					assert.deepEqual(raw.body, wire.body);
					assert.equal(check(raw).outcome, "valid", asRaw(r));
				},
			),
			{
				numRuns: 150,
				// Found by CI: a non-ASCII header value is sent as its UTF-8 bytes, which the
				// gateway reads as latin1 characters; the parsers must hand over that form.
				examples: [["GET", ["%20"], {}, { "x-a": "¡" }, ""]],
			},
		);
	});

	test("the request curl sends: method, curl's own headers, -d joined with &, -G into the query", () => {
		const w = parseCurlCommand(
			`curl -sSL -H 'X-One: 1' -d a=1 --data-raw 'b=2' http://h:81/p?q=1`,
		);
		assert.equal(w.method, "POST");
		assert.equal(w.target, "/p?q=1");
		assert.deepEqual(w.rawHeaders, [
			"Host",
			"h:81",
			"Accept",
			"*/*",
			"X-One",
			"1",
			"Content-Length",
			"7",
			"Content-Type",
			"application/x-www-form-urlencoded",
		]);
		assert.equal(Buffer.from(w.body).toString(), "a=1&b=2");
		const g = parseCurlCommand("curl -G -d a=1 -d b=2 http://h/p");
		assert.equal(g.method, "GET");
		assert.equal(g.target, "/p?a=1&b=2");
		assert.equal(g.body.length, 0);
		assert.equal(parseCurlCommand("curl -XPUT http://h/").method, "PUT");
		assert.equal(parseCurlCommand("curl -I h/x").method, "HEAD");
		const host = parseCurlCommand("curl -H 'Host: other' http://h/").rawHeaders;
		assert.deepEqual(host, ["Accept", "*/*", "Host", "other"]);
		// The path keeps its encoding as written; dot segments go as curl removes them.
		assert.equal(
			parseCurlCommand("curl 'http://h/a%2Fb/%7e?x=%2B'").target,
			"/a%2Fb/%7e?x=%2B",
		);
		assert.equal(parseCurlCommand("curl 'http://h/a/../b'").target, "/b");
	});

	const refused: [string, "unsupported" | "unparsable"][] = [
		[
			"curl --aws-sigv4 aws:amz:us-east-1:lambda --user AKID:SECRET http://h/",
			"unsupported",
		],
		["curl -u AKID:SECRET http://h/", "unsupported"],
		["curl -d @body.json http://h/", "unsupported"],
		["curl --proxy http://p:1 http://h/", "unsupported"],
		["curl -x http://p:1 http://h/", "unsupported"],
		["curl -sZ http://h/", "unsupported"],
		["curl http://a/ http://b/", "unsupported"],
		["curl http://user:pw@h/", "unsupported"],
		["curl -H 'Accept:' http://h/", "unsupported"],
		["curl ftp://h/x", "unsupported"],
		["curl -X 'GET /' http://h/", "unparsable"],
		["curl -H 'no colon' http://h/", "unparsable"],
		["curl -H", "unparsable"],
		["curl -s", "unparsable"],
		["curl --request=POST http://h/", "unparsable"],
	];
	for (const [command, kind] of refused)
		test(`refused (${kind}), never ignored: ${command}`, () => {
			assert.throws(
				() => parseCurlCommand(command),
				(err: unknown) => err instanceof CurlCommandError && err.kind === kind,
			);
		});

	test("a refusal about a secret does not repeat the secret", () => {
		try {
			parseCurlCommand("curl --user AKIDEXAMPLE:hunter2-very-secret http://h/");
			assert.fail("accepted");
		} catch (err) {
			assert.ok(!(err as Error).message.includes("hunter2"));
		}
	});
});

describe("raw HTTP text", () => {
	const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
	test("property: a rendered request reads back as the same wire form", () => {
		fc.assert(
			fc.property(
				fc.constantFrom("GET", "POST", "PUT", "PATCH"),
				fc.stringMatching(/^\/[A-Za-z0-9/%._~!$&'()*+,;=:@?-]{0,40}$/),
				fc.array(
					fc.tuple(token, fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/)),
					{ maxLength: 8 },
				),
				fc.string({ unit: "grapheme", maxLength: 60 }),
				fc.boolean(),
				(method, target, headers, body, crlf) => {
					const clean = headers.filter(
						([n]) => !/^(content-length|transfer-encoding)$/i.test(n),
					);
					const eol = crlf ? "\r\n" : "\n";
					const text = `${method} ${target} HTTP/1.1${eol}${clean.map(([n, v]) => `${n}: ${v}${eol}`).join("")}${eol}${body}`;
					const w = parseRequestText(text);
					assert.equal(w.method, method);
					assert.equal(w.target, target);
					assert.deepEqual(w.rawHeaders, clean.flat());
					assert.equal(Buffer.from(w.body).toString("utf8"), body);
				},
			),
			{ numRuns: 300 },
		);
	});

	test("curl -v's '> ' lines, an absolute-form target, Content-Length cutting an editor's newline", () => {
		const v = parseRequestText(
			"> GET /x HTTP/1.1\n> Host: h:1\n> Accept: */*\n>\n",
		);
		assert.deepEqual(
			[v.method, v.target, v.rawHeaders],
			["GET", "/x", ["Host", "h:1", "Accept", "*/*"]],
		);
		const a = parseRequestText("GET http://h:2/y?z HTTP/1.1\n\n");
		assert.deepEqual([a.target, a.rawHeaders], ["/y?z", ["Host", "h:2"]]);
		const b = parseRequestText("POST / HTTP/1.1\nContent-Length: 2\n\n{}\n");
		assert.equal(Buffer.from(b.body).toString(), "{}");
	});

	test("a whole curl -v transcript: the '> ' lines are the request; a body it did not print is asked for", () => {
		const transcript = [
			"*   Trying 127.0.0.1:8080...",
			"* Connected to 127.0.0.1 (127.0.0.1) port 8080 (#0)",
			"> GET /sigil/v1/whoami HTTP/1.1",
			"> Host: 127.0.0.1:8080",
			"> Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sigil/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			"> X-Amz-Date: 20260101T000000Z",
			">",
			"< HTTP/1.1 403 Forbidden",
			"< content-type: application/json",
			"<",
			'{"message":"The request signature we calculated does not match"}',
		].join("\n");
		const w = parseRequestText(transcript);
		assert.equal(w.target, "/sigil/v1/whoami");
		assert.equal(w.rawHeaders.length, 6);
		assert.equal(w.body.length, 0);
		assert.throws(
			() =>
				parseRequestText(
					transcript.replace(
						"> X-Amz-Date",
						"> Content-Length: 2\n> X-Amz-Date",
					),
				),
			/does not print the body/,
		);
	});

	const bad = [
		"",
		"hello",
		"GET /x HTTP/2\n\n",
		"GET  /x HTTP/1.1\n\n",
		"G\u0000T /x HTTP/1.1\n\n",
		"GET x HTTP/1.1\n\n",
		"GET /x HTTP/1.1\nbad header\n\n",
		"GET /x HTTP/1.1\nA: b\n  folded\n\n",
		"GET /x HTTP/1.1\nA: b\u0000c\n\n",
		"POST /x HTTP/1.1\nContent-Length: 10\n\nshort",
		"POST /x HTTP/1.1\nContent-Length: 1\nContent-Length: 2\n\nab",
		"POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\n1\na\n0\n\n",
	];
	for (const text of bad)
		test(`refused with a reason: ${JSON.stringify(text.slice(0, 40))}`, () => {
			assert.throws(() => parseRequestText(text), RequestTextError);
		});
});

describe("canonical request differences", () => {
	const gateway =
		"GET\n/x\n\nhost:h:1\nx-amz-date:20260101T000000Z\n\nhost;x-amz-date\nabc";
	test("property: a text compared with itself has no differences; any one changed line is the one difference", () => {
		const lines = gateway.split("\n");
		const changeable = lines
			.map((l, i) => [l, i] as const)
			.filter(([l]) => l !== "")
			.map(([, i]) => i);
		fc.assert(
			fc.property(
				fc.constantFrom(...changeable),
				fc.stringMatching(/^[a-z0-9:;/]{1,20}$/),
				(i, replacement) => {
					assert.deepEqual(canonicalRequestDifferences(gateway, gateway), []);
					const client = [...lines];
					if (client[i] === replacement) return;
					const original = client[i] as string;
					client[i] =
						i >= 3 && i <= 4
							? `${original.split(":")[0]}:${replacement}`
							: replacement;
					const d = canonicalRequestDifferences(client.join("\n"), gateway);
					assert.equal(d.length, 1, JSON.stringify(d));
					assert.equal(d[0]?.line, i + 1);
					assert.equal(d[0]?.gateway, original);
				},
			),
		);
	});
});
