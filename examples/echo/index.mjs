// Echoes the body back. Its trigger checks the payload HMAC before this runs; the signature
// header still reaches the function, as it does on OpenFaaS. Through the Lambda Invoke API the
// event is the payload, echoed as it came.
export const handler = async (event) => {
	if (!event?.requestContext?.http) return event ?? null;
	return {
		statusCode: 200,
		headers: { "content-type": event.headers["content-type"] ?? "text/plain" },
		body: event.body ?? "",
		isBase64Encoded: event.isBase64Encoded,
	};
};
