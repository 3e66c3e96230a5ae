def handle(req):
    """Handles one request to the function.

    Args:
        req (str): the request body.

    Headers are environment variables: os.getenv("Http_Content_Type"), os.getenv("Http_Method").
    Secrets are files: open(os.path.join(os.environ["SIGIL_SECRETS_DIR"], "NAME")).read().
    Whatever this returns is the response body.
    """

    return req
