// A Lambda-style handler: `event` is a function URL event (payload format 2.0): event.body,
// event.headers, event.rawPath, event.queryStringParameters, event.requestContext.
// Secrets are files: readFile(`${process.env.SIGIL_SECRETS_DIR}/NAME`).
export const handler = async (event) => {
	return {
		statusCode: 200,
		headers: { "content-type": "text/plain; charset=utf-8" },
		body: `Hello from Sigil! You sent: ${event.body ?? ""}`,
	};
};
