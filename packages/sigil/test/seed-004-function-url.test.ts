// Seed 004 (shared/seeds/004_*.txt): a Lambda function URL with AWS_IAM auth, called with
// a GET signed by a plain hashlib/hmac Python script. The seed's script runs here as a real
// python3 process; changed are only the values its author marks "change these to your own"
// (region, host, endpoint, keys) plus the canonical URI: Sigil's function URLs are paths
// (`/function/NAME/`) on the gateway's host rather than a host per function.
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

const SCRIPT = String.raw`
import sys, os, base64, datetime, hashlib, hmac
import requests # pip install requests

method = 'GET'
service = 'lambda'
request_parameters = ''
# change these to your own
region = 'us-east-1'
host = sys.argv[1]
endpoint = sys.argv[2]
access_key = os.environ.get('SEED_ACCESS_KEY')
secret_key = os.environ.get('SEED_SECRET_KEY')
# end of the values to change

if access_key is None or secret_key is None:
    print('No access key is available.')
    sys.exit()

def sign(key, msg):
    return hmac.new(key, msg.encode('utf-8'), hashlib.sha256).digest()

def getSignatureKey(key, dateStamp, regionName, serviceName):
    kDate = sign(('AWS4' + key).encode('utf-8'), dateStamp)
    kRegion = sign(kDate, regionName)
    kService = sign(kRegion, serviceName)
    kSigning = sign(kService, 'aws4_request')
    return kSigning

t = datetime.datetime.utcnow()
amzdate = t.strftime('%Y%m%dT%H%M%SZ')
datestamp = t.strftime('%Y%m%d')
canonical_uri = sys.argv[3]
canonical_querystring = request_parameters
canonical_headers = 'host:' + host + '\n' + 'x-amz-date:' + amzdate + '\n'
signed_headers = 'host;x-amz-date'
payload_hash = hashlib.sha256(('').encode('utf-8')).hexdigest()
canonical_request = method + '\n' + canonical_uri + '\n' + canonical_querystring + '\n' + canonical_headers + '\n' + signed_headers + '\n' + payload_hash
algorithm = 'AWS4-HMAC-SHA256'
credential_scope = datestamp + '/' + region + '/' + service + '/' + 'aws4_request'
string_to_sign = algorithm + '\n' + amzdate + '\n' + credential_scope + '\n' + hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()
signing_key = getSignatureKey(secret_key, datestamp, region, service)
signature = hmac.new(signing_key, (string_to_sign).encode('utf-8'), hashlib.sha256).hexdigest()
authorization_header = algorithm + ' ' + 'Credential=' + access_key + '/' + credential_scope + ', ' + 'SignedHeaders=' + signed_headers + ', ' + 'Signature=' + signature
headers = {'x-amz-date':amzdate, 'Authorization':authorization_header}
request_url = endpoint + '?' + canonical_querystring
print('\nBEGIN REQUEST++++++++++++++++++++++++++++++++++++')
print(f'Request URL = {request_url}\nHeaders = {headers}')
r = requests.get(request_url, headers=headers)
print('\nRESPONSE++++++++++++++++++++++++++++++++++++')
print('Response code: %d\n' % r.status_code)
print(r.text)
`;

// The console's default code: "returns status code 200".
const DEFAULT = `export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify("Hello from Lambda!") });`;

let gw: AsyncTestGateway;
let dir: string;
let script: string;

before(async () => {
	gw = await startAsyncGateway();
	await gw.deploy(
		"iam-url",
		{ runtime: "node", trigger: { auth: "aws_iam" } },
		{ "index.mjs": DEFAULT },
	);
	dir = await mkdtemp(join(tmpdir(), "sigil-seed-004-"));
	script = join(dir, "function_url.py");
	await writeFile(script, SCRIPT);
});
after(async () => {
	await gw.stop();
	await rm(dir, { recursive: true, force: true });
});

async function runSeed(
	accessKey: string,
	secret: string,
): Promise<{ status: number; body: string }> {
	const u = new URL(gw.url);
	const { stdout } = await run(
		pythonWithRequests(),
		[script, u.host, `${gw.url}/function/iam-url/`, "/function/iam-url/"],
		{
			env: {
				...process.env,
				SEED_ACCESS_KEY: accessKey,
				SEED_SECRET_KEY: secret,
			},
			timeout: 20_000,
		},
	);
	const m = /Response code: (\d+)\n\n([\s\S]*)$/.exec(stdout);
	assert.ok(m, stdout);
	return { status: Number(m[1]), body: (m[2] as string).trim() };
}

test("the seed's Python GET, signed with the account's key: 200 from the aws_iam function URL", async () => {
	const { status, body } = await runSeed(
		ROOT_KEY.accessKeyId,
		ROOT_KEY.secretAccessKey,
	);
	assert.equal(status, 200, body);
	assert.equal(JSON.parse(body), "Hello from Lambda!");
});

test("the same script with a wrong secret key: 403, and the answer holds no secret", async () => {
	const { status, body } = await runSeed(ROOT_KEY.accessKeyId, "yoursecretkey");
	assert.equal(status, 403);
	assert.match(
		JSON.parse(body).message,
		/signature we calculated does not match/,
	);
	assert.ok(!body.includes(ROOT_KEY.secretAccessKey));
});

test("the seed's placeholder key id ('AKIsample'): 403, unknown key", async () => {
	const { status, body } = await runSeed("AKIsample", "yoursecretkey");
	assert.equal(status, 403, body);
});
