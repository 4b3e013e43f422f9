"""A review board holds patients' records: the Label Studio this project starts sends nothing to its vendor.
Out of the box it reports errors to the vendor's Sentry from the server and from every reviewer's browser (the
page loads Sentry's script from a CDN with the vendor's DSN)."""

from __future__ import annotations

import httpx

from review.server import LabelStudioServer
from tests.review_fixtures import REVIEWERS


def test_a_reviewers_pages_load_no_error_reporting_to_the_vendor(label_studio: LabelStudioServer) -> None:
    email = next(iter(REVIEWERS))
    with httpx.Client(base_url=label_studio.url, timeout=30) as browser:
        browser.get("/user/login/")
        signed_in = browser.post(
            "/user/login/",
            data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "email": email, "password": REVIEWERS[email]},
            headers={"Referer": f"{label_studio.url}/user/login/"},
        )
        assert signed_in.status_code == 302, "the reviewer could not sign in"
        page = browser.get("/projects/", follow_redirects=True)
    assert page.status_code == 200 and "sentry_dsn: null" in page.text  # the app's page, with reporting off
    assert "sentry.io" not in page.text and "sentry-cdn" not in page.text
