// parseSigV4 decodes the path only when `canonicalPath` / `pathSegments` is read: whatever the
// path and the normalisation option, the lazily read values equal `decodedPath` of the raw path,
// and a second read returns the same answer.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
	decodedPath,
	parseSigV4,
	signSigV4,
	type WireRequest,
} from "../src/index.ts";

const creds = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const now = Date.UTC(2026, 10, 23, 12, 0, 0);
const host = "gateway.example";

const segment = fc.stringMatching(
	/^([a-z0-9.~-]|%2[fF]|%2[eE]|%20|%C3%A9){0,6}$/,
);
const rawPath = fc
	.array(segment, { maxLength: 5 })
	.map((parts) => `/${parts.join("/")}`);

test("canonicalPath and pathSegments read lazily equal decodedPath of the raw path", () => {
	fc.assert(
		fc.property(rawPath, fc.boolean(), (path, normalize) => {
			const s = signSigV4(
				{ method: "GET", host, path, headers: {}, body: Buffer.alloc(0) },
				creds,
				{ region: "us-east-1", service: "lambda", now },
			);
			const wire: WireRequest = {
				method: "GET",
				target: path,
				rawHeaders: Object.entries({ host, ...s.headers }).flat(),
				body: Buffer.alloc(0),
			};
			const parsed = parseSigV4(wire, {
				region: "us-east-1",
				services: ["lambda"],
				now,
				normalizePath: normalize,
			});
			assert.ok(parsed.ok);
			const want = decodedPath(path, normalize);
			assert.equal(parsed.request.canonicalPath, want.path);
			assert.deepEqual(parsed.request.pathSegments, want.segments);
			assert.equal(parsed.request.canonicalPath, want.path);
		}),
		{ numRuns: 200 },
	);
});
