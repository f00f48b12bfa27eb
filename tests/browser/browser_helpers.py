"""What the browser tests share beside their fixtures."""


def recording_page(browser, width: int, height: int):
    """``(context, page)``: a fresh page of ``browser`` that records console errors, page errors
    (``page.errors``) and every request's URL (``page.requests``)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors, page.requests = [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    return context, page
