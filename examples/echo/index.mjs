// Echoes the body back. Its trigger checks the payload HMAC before this runs; the signature
// header still reaches the function, as it does on OpenFaaS.
export const handler = async (event) => ({
	statusCode: 200,
	headers: { "content-type": event.headers["content-type"] ?? "text/plain" },
	body: event.body ?? "",
	isBase64Encoded: event.isBase64Encoded,
});
