// A Lambda-style handler: `event` is a function URL event (payload format 2.0): event.body,
// event.headers, event.rawPath, event.queryStringParameters, event.requestContext. A body that
// is not text arrives base64-encoded (event.isBase64Encoded), as Lambda sends it.
// Secrets are files: readFile(`${process.env.SIGIL_SECRETS_DIR}/NAME`).
export const handler = async (event) => {
	const body = event.isBase64Encoded
		? Buffer.from(event.body ?? "", "base64").toString("utf8")
		: (event.body ?? "");
	return {
		statusCode: 200,
		headers: { "content-type": "text/plain; charset=utf-8" },
		body: `Hello from Sigil! You sent: ${body}`,
	};
};
