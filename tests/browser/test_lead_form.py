"""The snippet on the web-form settings page, pasted into a page of another site, sends a lead
to Tend from real headless Chromium: a cross-site POST of form data, whose answer the page may
read (CORS), and whose lead lands in the pool with what was typed."""

import contextlib
import html
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from tend.accounts.models import Role
from tend.leads.models import Lead
from tests.browser.test_customer_flow import sign_in
from tests.factories import make_user

RESULT_SHOWN = "document.getElementById('tend-lead-result').textContent.length > 0"


@contextlib.contextmanager
def another_site(body: str):
    """A page served from another origin (another port) holding `body`."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            content = f"<!doctype html><html><body>{body}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/contact-us.html"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_documented_snippet_sends_a_lead_from_another_site(page):
    cache.clear()
    make_user(role=Role.ADMIN, username="forms_admin")
    sign_in(page, "forms_admin", "en")
    page.goto("/settings/lead-forms/")
    page.fill("input[name=name]", "官网表单")
    page.locator("form[action='/settings/lead-forms/'] button[type=submit]").click()
    page.wait_for_selector("code.form-key")
    snippet = html.unescape(
        re.search(
            r'<pre class="code-snippet"><code>(.*?)</code></pre>', page.content(), re.S
        ).group(1)
    )

    with another_site(snippet) as url:
        page.goto(url)
        page.fill("input[name=name]", "王芳")
        page.fill("input[name=phone]", "13812345678")
        page.fill("textarea[name=message]", "想了解报价")
        page.click("button[type=submit]")
        page.wait_for_function(RESULT_SHOWN)
        assert page.inner_text("#tend-lead-result") == "Thank you, we will be in touch."
        lead = Lead.objects.get()
        assert (lead.name, lead.phone, lead.owner_id, lead.source) == (
            "王芳",
            "+8613812345678",
            None,
            "web_form",
        )
        assert lead.raw_fields["message"] == "想了解报价"

        # A refusal is readable too: the page shows Tend's message for the field.
        page.evaluate("document.getElementById('tend-lead-result').textContent = ''")
        page.fill("input[name=phone]", "123")
        page.click("button[type=submit]")
        page.wait_for_function(RESULT_SHOWN)
        assert "valid phone number" in page.inner_text("#tend-lead-result")
        assert Lead.objects.count() == 1
