// Seed 002 (shared/seeds/002_*.txt): a hand-written SigV4 signer in Python calling the
// Lambda InvokeAsync API. The seed's own script runs here as a real python3 process — its four
// tasks (canonical request, string to sign, signing key, Authorization header) kept step for
// step; only host/endpoint, keys (read from the environment as the seed does) and the print
// syntax (Python 3) changed. It also covers the seed's two error answers: no signature
// (`{"message":"Missing Authentication Token"}`) and a wrong one (the mismatch message).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { type AsyncTestGateway, startAsyncGateway } from "./async-helpers.ts";
import { ROOT_KEY } from "./helpers/gateway.ts";
import { pythonWithRequests } from "./helpers/system-tools.ts";

const run = promisify(execFile);

// The seed's script, Python 3. HOST and ENDPOINT come from argv (the only values changed).
const SCRIPT = String.raw`
import sys, os, base64, datetime, hashlib, hmac
import requests # pip install requests

method = 'POST'
service = 'lambda'
host = sys.argv[1]
region = 'us-east-1'
endpoint = sys.argv[2]
path = '/2014-11-13/functions/hello-reinvent/invoke-async/'
request_url = endpoint + path
content_type = 'application/x-amz-json-1.0'
request_parameters = '{'
request_parameters += '}'

def sign(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

def getSignatureKey(key, date_stamp, regionName, serviceName):
    kDate = sign(('AWS4' + key).encode('utf-8'), date_stamp)
    kRegion = sign(kDate, regionName)
    kService = sign(kRegion, serviceName)
    kSigning = sign(kService, 'aws4_request')
    return kSigning

access_key = os.environ.get('AWS_ACCESS_KEY')
secret_key = os.environ.get('AWS_SECRET_KEY')
if access_key is None or secret_key is None:
    print('No access key is available.')
    sys.exit()

t = datetime.datetime.utcnow()
amz_date = t.strftime('%Y%m%dT%H%M%SZ')
date_stamp = t.strftime('%Y%m%d')

# TASK 1: CREATE A CANONICAL REQUEST
canonical_uri = path
canonical_querystring = ''
canonical_headers = 'content-type:' + content_type + '\n' + 'host:' + host + '\n' + 'x-amz-date:' + amz_date + '\n'
signed_headers = 'content-type;host;x-amz-date'
payload_hash = hashlib.sha256(request_parameters.encode('utf-8')).hexdigest()
canonical_request = method + '\n' + canonical_uri + '\n' + canonical_querystring + '\n' + canonical_headers + '\n' + signed_headers + '\n' + payload_hash
print(canonical_request)

# TASK 2: CREATE THE STRING TO SIGN
algorithm = 'AWS4-HMAC-SHA256'
credential_scope = date_stamp + '/' + region + '/' + service + '/' + 'aws4_request'
string_to_sign = algorithm + '\n' + amz_date + '\n' + credential_scope + '\n' + hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()
print(string_to_sign)

# TASK 3: CALCULATE THE SIGNATURE
signing_key = getSignatureKey(secret_key, date_stamp, region, service)
signature = hmac.new(signing_key, (string_to_sign).encode('utf-8'), hashlib.sha256).hexdigest()

# TASK 4: ADD SIGNING INFORMATION TO THE REQUEST
authorization_header = algorithm + ' ' + 'Credential=' + access_key + '/' + credential_scope + ', ' + 'SignedHeaders=' + signed_headers + ', ' + 'Signature=' + signature
headers = {'Content-Type':content_type,
'Host':host,
'X-Amz-Date':amz_date,
'Authorization':authorization_header}

print('\nBEGIN REQUEST++++++++++++++++++++++++++++++++++++')
print('Request URL = ' + endpoint)
r = requests.post(request_url, data=request_parameters, headers=headers)
print('\nRESPONSE++++++++++++++++++++++++++++++++++++')
print('Response code: %d\n' % r.status_code)
print(r.text)
`;

let gw: AsyncTestGateway;
let dir: string;
let script: string;

before(async () => {
	gw = await startAsyncGateway();
	await gw.deploy(
		"hello-reinvent",
		{ runtime: "node" },
		{
			"index.mjs": `export const handler = async (e) => ({ hello: "reinvent", got: e });`,
		},
	);
	dir = await mkdtemp(join(tmpdir(), "sigil-seed-002-"));
	script = join(dir, "invoke_async.py");
	await writeFile(script, SCRIPT);
});
after(async () => {
	await gw.stop();
	await rm(dir, { recursive: true, force: true });
});

async function runSeed(
	secret: string,
): Promise<{ status: number; body: string; stdout: string }> {
	const u = new URL(gw.url);
	const { stdout } = await run(pythonWithRequests(), [script, u.host, gw.url], {
		env: {
			...process.env,
			AWS_ACCESS_KEY: ROOT_KEY.accessKeyId,
			AWS_SECRET_KEY: secret,
		},
		timeout: 20_000,
	});
	const m = /Response code: (\d+)\n\n([\s\S]*)$/.exec(stdout);
	assert.ok(m, stdout);
	return { status: Number(m[1]), body: (m[2] as string).trim(), stdout };
}

test("the seed's Python signer: InvokeAsync answers 202 {Status: 202} and the function runs", async () => {
	const { status, body, stdout } = await runSeed(ROOT_KEY.secretAccessKey);
	assert.match(
		stdout,
		/^POST\n\/2014-11-13\/functions\/hello-reinvent\/invoke-async\/\n\ncontent-type:application\/x-amz-json-1\.0\n/,
	);
	assert.equal(status, 202, body);
	assert.deepEqual(JSON.parse(body), { Status: 202 });
	const { jobs } = (await (
		await gw.signed("GET", "/sigil/v1/jobs?function=hello-reinvent")
	).json()) as {
		jobs: { id: string }[];
	};
	assert.equal(jobs.length, 1);
	const job = await gw.waitForJob((jobs[0] as { id: string }).id, [
		"succeeded",
	]);
	assert.deepEqual(
		JSON.parse(Buffer.from(job.result ?? "", "base64").toString()),
		{ hello: "reinvent", got: {} },
	);
});

test("the seed's Python signer with a wrong secret: 403 with AWS's mismatch message, nothing queued", async () => {
	const before = await gw.gateway.store.jobs.countQueued();
	const { status, body } = await runSeed("wrong-secret-key");
	assert.equal(status, 403);
	assert.deepEqual(JSON.parse(body), {
		message:
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
	});
	assert.ok(!body.includes(ROOT_KEY.secretAccessKey));
	assert.equal(await gw.gateway.store.jobs.countQueued(), before);
});

test('the seed\'s curl without a signature: {"message":"Missing Authentication Token"}', async () => {
	// curl -XPOST …/2014-11-13/functions/hello-reinvent/invoke-async/ --data {}
	const res = await fetch(
		`${gw.url}/2014-11-13/functions/hello-reinvent/invoke-async/`,
		{
			method: "POST",
			body: "{}",
			headers: { "content-type": "application/x-www-form-urlencoded" },
		},
	);
	assert.equal(res.status, 403);
	assert.deepEqual(await res.json(), {
		message: "Missing Authentication Token",
	});
});
