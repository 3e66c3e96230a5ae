// Differential properties against @smithy/signature-v4 (the AWS SDK v3 signer): it signs and
// presigns random requests, our verifier checks them as they would arrive over the wire; one
// changed byte in a signed part must fail; our signer gives identical signatures. aws4 and
// aws4fetch: sigv4-peers-aws4.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import type { WireRequest } from "../src/request.ts";
import { normalizePath, presignSigV4, signSigV4 } from "../src/sigv4/index.ts";
import {
	bodyArb,
	bytes,
	CREDS,
	describe,
	headersArb,
	hostArb,
	methodArb,
	pathArb,
	queryArb,
	RUNS,
	SESSION,
	scopeArb,
	smithyQuery,
	timeArb,
	UNITS,
	verify,
	wireQuery,
} from "./fixtures/sigv4-arbitraries.ts";

const smithyArb = fc.record({
	method: methodArb,
	host: hostArb,
	path: pathArb,
	query: queryArb(UNITS),
	headers: headersArb(true),
	body: bodyArb,
	now: timeArb,
	scope: scopeArb,
	token: fc.boolean(),
	checksum: fc.boolean(),
});
type SmithyCase = typeof smithyArb extends fc.Arbitrary<infer T> ? T : never;

async function smithySign(c: SmithyCase) {
	const creds = c.token ? { ...CREDS, sessionToken: SESSION } : CREDS;
	const signer = new SignatureV4({
		credentials: creds,
		...c.scope,
		sha256: Sha256,
		applyChecksum: c.checksum,
	});
	const headers: Record<string, string> = { host: c.host };
	for (const h of c.headers) headers[h.name] = h.values.join(",");
	const [hostname, port] = c.host.split(":");
	const request = new HttpRequest({
		method: c.method,
		protocol: "https:",
		hostname: hostname as string,
		...(port === undefined ? {} : { port: Number(port) }),
		path: c.path,
		query: smithyQuery(c.query),
		headers,
		body: c.body,
	});
	const signed = await signer.sign(request, { signingDate: new Date(c.now) });
	// On the wire: a repeated header travels as separate occurrences, names in any case.
	const rawHeaders: string[] = [];
	for (const [name, value] of Object.entries(signed.headers)) {
		const entry = c.headers.find((h) => h.name === name);
		if (entry === undefined) rawHeaders.push(name, value);
		else
			for (const v of entry.values)
				rawHeaders.push(entry.upper ? name.toUpperCase() : name, v);
	}
	const q = wireQuery(c.query);
	const wire: WireRequest = {
		method: c.method,
		target: q === "" ? c.path : `${c.path}?${q}`,
		rawHeaders,
		body: bytes(c.body),
	};
	return { signed, wire, creds };
}

test("@smithy/signature-v4 signs (header form), we verify; our signer gives the same Authorization", async () => {
	await fc.assert(
		fc.asyncProperty(smithyArb, async (c) => {
			const { signed, wire, creds } = await smithySign(c);
			const result = verify(wire, c.scope, c.now);
			assert.ok(result.ok, describe(result));
			const headers: Record<string, string[]> = { host: [c.host] };
			for (const h of c.headers) headers[h.name] = h.values;
			const ours = signSigV4(
				{
					method: c.method,
					host: c.host,
					path: c.path,
					query: wireQuery(c.query),
					headers,
					body: c.body,
				},
				creds,
				{ ...c.scope, now: c.now, signBodyHash: c.checksum },
			);
			assert.equal(ours.headers.authorization, signed.headers.authorization);
		}),
		RUNS,
	);
});

test("@smithy/signature-v4 presigns, we verify; our presigner gives the same signature", async () => {
	await fc.assert(
		fc.asyncProperty(
			smithyArb,
			fc.integer({ min: 1, max: 604800 }),
			async (c, expiresIn) => {
				const creds = c.token ? { ...CREDS, sessionToken: SESSION } : CREDS;
				const signer = new SignatureV4({
					credentials: creds,
					...c.scope,
					sha256: Sha256,
				});
				const headers: Record<string, string> = { host: c.host };
				for (const h of c.headers) headers[h.name] = h.values[0] as string;
				const [hostname] = c.host.split(":");
				const presigned = await signer.presign(
					new HttpRequest({
						method: c.method,
						protocol: "https:",
						hostname: hostname as string,
						path: c.path,
						query: smithyQuery(c.query),
						headers,
						body: c.body,
					}),
					{ signingDate: new Date(c.now), expiresIn },
				);
				const query = Object.entries(presigned.query ?? {})
					.flatMap(([k, v]) =>
						(Array.isArray(v) ? v : [v]).map(
							(x) =>
								`${encodeURIComponent(k)}=${encodeURIComponent(x as string)}`,
						),
					)
					.join("&");
				const rawHeaders = Object.entries(presigned.headers).flat();
				const wire: WireRequest = {
					method: c.method,
					target: `${c.path}?${query}`,
					rawHeaders,
					body: bytes(c.body),
				};
				const result = verify(wire, c.scope, c.now + expiresIn * 500);
				assert.ok(result.ok, describe(result));
				const ours = presignSigV4(
					{
						method: c.method,
						host: c.host,
						path: c.path,
						query: wireQuery(c.query),
						headers,
						body: c.body,
					},
					creds,
					{ ...c.scope, now: c.now, expiresIn },
				);
				assert.equal(ours.signature, presigned.query?.["X-Amz-Signature"]);
			},
		),
		RUNS,
	);
});

const ALNUM = /[A-Za-z0-9]/;
/** Positions of letters/digits that are not inside a %XX escape: changing one always changes the meaning. */
function mutablePositions(s: string): number[] {
	const out: number[] = [];
	for (let i = 0; i < s.length; i++) {
		if (s[i] === "%") i += 2;
		else if (ALNUM.test(s[i] as string)) out.push(i);
	}
	return out;
}
function swapChar(c: string): string {
	if (c >= "0" && c <= "9")
		return c === "9" ? "0" : String.fromCharCode(c.charCodeAt(0) + 1);
	return c === "z" || c === "Z"
		? "a"
		: String.fromCharCode(c.charCodeAt(0) + 1);
}
function mutateAt(s: string, positions: number[], pick: number): string {
	const i = positions[pick % positions.length] as number;
	return `${s.slice(0, i)}${swapChar(s[i] as string)}${s.slice(i + 1)}`;
}

test("any single-byte change to a signed part (method, path, query, signed header, hashed body) fails", async () => {
	const part = fc.constantFrom("method", "path", "query", "header", "body");
	await fc.assert(
		fc.asyncProperty(smithyArb, part, fc.nat(), async (c, which, pick) => {
			const { wire } = await smithySign(c);
			const baseline = verify(wire, c.scope, c.now);
			assert.ok(baseline.ok, describe(baseline));
			const q = wire.target.indexOf("?");
			const path = q === -1 ? wire.target : wire.target.slice(0, q);
			const query = q === -1 ? "" : wire.target.slice(q);
			let mutated: WireRequest = wire;
			if (which === "method")
				mutated = {
					...wire,
					method: mutateAt(wire.method, mutablePositions(wire.method), pick),
				};
			if (which === "path") {
				const positions = mutablePositions(path);
				fc.pre(positions.length > 0);
				const changed = mutateAt(path, positions, pick);
				fc.pre(normalizePath(changed) !== normalizePath(path)); // a segment later removed by '..' is not signed
				mutated = { ...wire, target: changed + query };
			}
			if (which === "query") {
				const positions = mutablePositions(query);
				fc.pre(positions.length > 0);
				mutated = { ...wire, target: path + mutateAt(query, positions, pick) };
			}
			if (which === "header") {
				const signed = wire.rawHeaders.flatMap((v, i) =>
					i % 2 === 1 &&
					wire.rawHeaders[i - 1]?.toLowerCase() !== "authorization" &&
					mutablePositions(v).length > 0
						? [i]
						: [],
				);
				const i = signed[pick % signed.length] as number;
				const raw = [...wire.rawHeaders];
				raw[i] = mutateAt(
					raw[i] as string,
					mutablePositions(raw[i] as string),
					pick,
				);
				mutated = { ...wire, rawHeaders: raw };
			}
			if (which === "body") {
				const body = Uint8Array.from(
					wire.body.length === 0 ? [0x41] : wire.body,
				);
				if (wire.body.length > 0)
					body[pick % body.length] = (body[pick % body.length] as number) ^ 1;
				mutated = { ...wire, body };
			}
			const result = verify(mutated, c.scope, c.now);
			assert.equal(result.ok, false, `${which} change accepted`);
		}),
		RUNS,
	);
});

test("presign hoists a mixed-case x-amz-* header under its given name, as @smithy does", async () => {
	const now = Date.parse("2026-11-23T10:00:00Z");
	const headers = { host: "fn.example.com", "X-Amz-Meta-Tag": "v 1" };
	const smithy = new SignatureV4({
		credentials: CREDS,
		region: "us-east-1",
		service: "lambda",
		sha256: Sha256,
	});
	const theirs = await smithy.presign(
		new HttpRequest({
			method: "GET",
			protocol: "https:",
			hostname: "fn.example.com",
			path: "/f",
			headers,
		}),
		{ signingDate: new Date(now), expiresIn: 60 },
	);
	const ours = presignSigV4(
		{ method: "GET", host: "fn.example.com", path: "/f", headers },
		CREDS,
		{ region: "us-east-1", service: "lambda", now, expiresIn: 60 },
	);
	assert.equal(ours.signature, theirs.query?.["X-Amz-Signature"]);
	assert.match(ours.query, /X-Amz-Meta-Tag=v%201/);
	const wire: WireRequest = {
		method: "GET",
		target: `/f?${ours.query}`,
		rawHeaders: ["Host", "fn.example.com"],
		body: new Uint8Array(),
	};
	assert.ok(verify(wire, { region: "us-east-1", service: "lambda" }, now).ok);
});
