from __future__ import annotations

import base64
import json

from harness.transport.canonical import api_version, canonical_request, request_key
from harness.transport.redact import keep_response_headers, redact_url, secrets_in

URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"
IMG = bytes(range(256)) * 4 + b"\xfb\xff\xbf"


def key(body: dict, url: str = URL) -> str:
    return request_key(canonical_request("POST", url, json.dumps(body).encode()))


def test_camel_snake_key_order_and_base64_alphabets_do_not_change_the_key() -> None:
    camel = {
        "contents": [
            {
                "parts": [
                    {"text": "cup"},
                    {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(IMG).decode()}},
                ],
                "role": "user",
            }
        ],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}, "topK": 40},
    }
    snake = {
        "generationConfig": {"topK": 40.0, "thinkingConfig": {"include_thoughts": True}},
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "cup"},
                    {
                        "inlineData": {
                            "data": base64.urlsafe_b64encode(IMG).decode(),
                            "mime_type": "image/png",
                        }
                    },
                ],
            }
        ],
    }
    assert key(camel) == key(snake)
    assert "+" in base64.b64encode(IMG).decode() or "/" in base64.b64encode(IMG).decode()


def test_headers_and_host_are_ignored_but_path_and_model_count() -> None:
    body = {"contents": [{"parts": [{"text": "cup"}]}]}
    form = canonical_request("POST", URL, json.dumps(body).encode())
    assert "headers" not in form
    assert key(body) == key(
        body, URL.replace("https://generativelanguage.googleapis.com", "http://127.0.0.1:9")
    )
    assert key(body) != key(body, URL.replace("gemini-2.5-flash-image", "gemini-3-pro-image-preview"))
    assert key(body) != key(body, URL.replace("v1beta", "v1"))


def test_changed_prompt_or_image_changes_key_but_empty_config_does_not() -> None:
    base = {"contents": [{"parts": [{"text": "a red cup"}]}]}
    assert key(base) == key({**base, "generationConfig": {}})
    assert key(base) != key({"contents": [{"parts": [{"text": "a blue cup"}]}]})
    img = {"inlineData": {"data": base64.b64encode(IMG).decode()}}
    img2 = {"inlineData": {"data": base64.b64encode(IMG + b"x").decode()}}
    assert key({"contents": [{"parts": [img]}]}) != key({"contents": [{"parts": [img2]}]})


def test_base64_leaves_are_hashed_not_stored_and_secrets_leave_the_query() -> None:
    body = {"contents": [{"parts": [{"inlineData": {"data": base64.b64encode(IMG).decode()}}]}]}
    url = URL + "?alt=sse&key=SECRET123&access_token=TOKEN456"
    form = canonical_request("POST", url, json.dumps(body).encode())
    leaf = form["body"]["contents"][0]["parts"][0]["inlineData"]["data"]
    assert leaf.startswith("$bytes sha256=") and f"len={len(IMG)}" in leaf
    assert form["query"] == {"alt": "sse"}
    assert "SECRET123" not in json.dumps(form)
    assert secrets_in({"x-goog-api-key": "HEADERKEY789"}, url) == {"SECRET123", "TOKEN456", "HEADERKEY789"}
    assert api_version(form["path"]) == "v1beta"


def test_upload_tokens_and_volatile_response_headers_are_removed() -> None:
    url = "http://127.0.0.1:5/upload/v1beta/files?upload_id=CAPABILITY&upload_protocol=resumable"
    assert "CAPABILITY" not in redact_url(url) and "upload_protocol=resumable" in redact_url(url)
    kept = keep_response_headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "9"),
            ("Date", "x"),
            ("Server-Timing", "y"),
            ("Alt-Svc", "z"),
            ("X-Goog-Request-Id", "id"),
            ("x-goog-upload-url", url),
            ("x-harness-emulator", "1"),
            ("retry-after", "7"),
        ]
    )
    assert kept == {
        "content-type": "application/json",
        "x-goog-upload-url": redact_url(url),
        "x-harness-emulator": "1",
        "retry-after": "7",
    }


def test_a_long_prompt_diff_shows_where_it_changed_not_a_shared_prefix() -> None:
    from harness.transport.miss import field_diff

    prefix = "A bold poster featuring a yellow sun on a blue background. The title reads "
    recorded = {"contents": [{"parts": [{"text": prefix + '"SUMMER SALE" in large letters.'}]}]}
    current = {"contents": [{"parts": [{"text": prefix + '"WINTER SALE" in large letters.'}]}]}
    (line,) = field_diff(recorded, current)
    before, after = line.split(" -> ")
    assert "SUMMER SALE" in before and "WINTER SALE" in after
    assert before.startswith("contents[0].parts[0].text: ...")
