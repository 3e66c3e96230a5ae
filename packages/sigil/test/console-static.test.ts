// The gateway serves the web console's built files: the redirects, content types, caching,
// client-side routes and the 503 of a missing build, through a real gateway on port 0.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CONTENT_SECURITY_POLICY } from "../src/console/security-headers.ts";
import {
	APP_JS,
	type ConsoleFixture,
	INDEX_HTML,
	makeConsoleFixture,
	rawRequest,
} from "./helpers/console-fixture.ts";
import { startTestGateway, type TestGateway } from "./helpers/gateway.ts";

describe("console static files", () => {
	let gw: TestGateway;
	let fixture: ConsoleFixture;
	before(async () => {
		fixture = await makeConsoleFixture();
		gw = await startTestGateway({ consoleDir: fixture.dist });
	});
	after(async () => {
		await gw.stop();
		await rm(fixture.root, { recursive: true, force: true });
	});

	test("GET / redirects a browser to /console/", async () => {
		const res = await rawRequest(gw.url, "GET", "/");
		assert.equal(res.status, 302);
		assert.equal(res.headers.location, "/console/");
		assert.equal(
			res.headers["content-security-policy"],
			CONTENT_SECURITY_POLICY,
		);
	});

	test("GET / with a query string is still the IAM/STS query API (signed)", async () => {
		const res = await rawRequest(
			gw.url,
			"GET",
			"/?Action=GetCallerIdentity&Version=2011-06-15",
		);
		assert.equal(res.status, 403);
		assert.equal(res.headers.location, undefined);
		assert.match(
			res.body,
			/MissingAuthenticationToken|Missing Authentication Token/,
		);
	});

	test("the IAM/STS query API still answers a signed GET /?Action=…", async () => {
		const res = await gw.signed(
			"GET",
			"/?Action=GetCallerIdentity&Version=2011-06-15",
			{ service: "sts" },
		);
		assert.equal(res.status, 200, await res.clone().text());
		assert.match(await res.text(), /GetCallerIdentityResult/);
	});

	test("/console redirects to /console/", async () => {
		const res = await rawRequest(gw.url, "GET", "/console");
		assert.equal(res.status, 302);
		assert.equal(res.headers.location, "/console/");
	});

	test("/console/ is index.html, revalidated every time, with an ETag", async () => {
		const res = await rawRequest(gw.url, "GET", "/console/");
		assert.equal(res.status, 200);
		assert.equal(res.body, INDEX_HTML);
		assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
		assert.equal(res.headers["cache-control"], "no-cache");
		assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
		const again = await rawRequest(gw.url, "GET", "/console/", {
			"if-none-match": String(res.headers.etag),
		});
		assert.equal(again.status, 304);
		assert.equal(again.body, "");
	});

	test("HEAD answers the headers of GET without the body", async () => {
		const res = await rawRequest(gw.url, "HEAD", "/console/index.html");
		assert.equal(res.status, 200);
		assert.equal(res.body, "");
		assert.equal(res.headers["content-length"], String(INDEX_HTML.length));
	});

	test("hashed assets are immutable, with their content type", async () => {
		const js = await rawRequest(
			gw.url,
			"GET",
			"/console/assets/index-AbCd1234.js",
		);
		assert.equal(js.status, 200);
		assert.equal(js.body, APP_JS);
		assert.equal(js.headers["content-type"], "text/javascript; charset=utf-8");
		assert.equal(
			js.headers["cache-control"],
			"public, max-age=31536000, immutable",
		);
		const css = await rawRequest(
			gw.url,
			"GET",
			"/console/assets/index-AbCd1234.css",
		);
		assert.equal(css.headers["content-type"], "text/css; charset=utf-8");
	});

	test("an unhashed public file is revalidated", async () => {
		const res = await rawRequest(gw.url, "GET", "/console/favicon.svg");
		assert.equal(res.status, 200);
		assert.equal(res.headers["content-type"], "image/svg+xml");
		assert.equal(res.headers["cache-control"], "no-cache");
	});

	test("an app route without an extension is index.html (client-side routing)", async () => {
		for (const path of [
			"/console/functions/hello",
			"/console/debugger",
			"/console/assets/",
		]) {
			const res = await rawRequest(gw.url, "GET", path);
			assert.equal(res.status, 200, path);
			assert.equal(res.body, INDEX_HTML, path);
		}
	});

	test("a missing file with an extension is 404, never index.html", async () => {
		for (const path of [
			"/console/missing.js",
			"/console/assets/index-XXXX9999.js",
			"/console/a/b.css",
		]) {
			const res = await rawRequest(gw.url, "GET", path);
			assert.equal(res.status, 404, path);
			assert.equal(JSON.parse(res.body).error.code, "ROUTE_NOT_FOUND");
			assert.notEqual(res.body, INDEX_HTML);
		}
	});

	test("only GET and HEAD: other methods are 405 with Allow", async () => {
		for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
			const res = await rawRequest(gw.url, method, "/console/", {}, "x=1");
			assert.equal(res.status, 405, method);
			assert.equal(res.headers.allow, "GET, HEAD");
			assert.equal(JSON.parse(res.body).error.code, "METHOD_NOT_ALLOWED");
		}
	});
});

describe("console not built", () => {
	test("answers 503 CONSOLE_NOT_BUILT naming the build command", async () => {
		const empty = await mkdtemp(join(tmpdir(), "sigil-console-empty-"));
		const gw = await startTestGateway({ consoleDir: join(empty, "dist") });
		try {
			for (const path of [
				"/console/",
				"/console/assets/index-AbCd1234.js",
				"/console/functions",
			]) {
				const res = await rawRequest(gw.url, "GET", path);
				assert.equal(res.status, 503, path);
				const body = JSON.parse(res.body);
				assert.equal(body.error.code, "CONSOLE_NOT_BUILT");
				assert.match(body.error.message, /npm run build:console/);
				// The answer names no path of the machine.
				assert.ok(!body.error.message.includes(empty), body.error.message);
				assert.equal(
					res.headers["content-security-policy"],
					CONTENT_SECURITY_POLICY,
				);
			}
		} finally {
			await gw.stop();
			await rm(empty, { recursive: true, force: true });
		}
	});
});
