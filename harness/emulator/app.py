"""The emulated API behind the HTTP edge: a routing table of endpoints returning Replies.

Batches and files are rows from `batches.BatchStore`; each handler gets the request and the path match.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from hashlib import sha256

from harness.emulator.batches import BatchStore
from harness.emulator.exchange import Reply, Request
from harness.emulator.faults import FaultPlan, FaultSpecError, Rule, decide, seconds
from harness.emulator.generate import blocked, generate, prompt_usage, response_id, stream_events
from harness.emulator.models import MODELS, ModelProfile, get_model, model_resource
from harness.emulator.protocol import ApiError, GenerateRequest, parse_generate, parse_json, words


class Api:
    """Endpoint logic and the small amount of state the emulator keeps (attempt counts, signatures seen)."""

    def __init__(self, plan: FaultPlan, latency_scale: float = 0.0, batch_duration_s: float = 0.0):
        self.plan, self.latency_scale = plan, latency_scale
        self.batches = BatchStore(self, batch_duration_s)
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}
        self._sig_order: deque[str] = deque(maxlen=10_000)
        self.signatures: set[str] = set()  # sha256 hex of every thoughtSignature received
        self.requests = 0
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Request, re.Match[str]], Reply]]] = [
            (
                "POST",
                re.compile(r"^/(?P<ver>v1beta|v1)/models/(?P<model>[^/:]+):generateContent$"),
                self.generate,
            ),
            (
                "POST",
                re.compile(r"^/(?P<ver>v1beta|v1)/models/(?P<model>[^/:]+):streamGenerateContent$"),
                self.stream,
            ),
            (
                "POST",
                re.compile(r"^/(?P<ver>v1beta|v1)/models/(?P<model>[^/:]+):countTokens$"),
                self.count_tokens,
            ),
            ("GET", re.compile(r"^/(?P<ver>v1beta|v1)/models$"), self.list_models),
            *self.batches.routes(),
            ("GET", re.compile(r"^/(?P<ver>v1beta|v1)/models/(?P<model>[^/:]+)$"), self.get_model),
        ]

    def handle(self, req: Request) -> Reply:
        with self._lock:
            self.requests += 1
        try:
            for method, pattern, func in self.routes:
                m = pattern.match(req.path)
                if m and method == req.method:
                    if not self.batches.exempt_from_key(req):
                        _check_key(req)
                    return func(req, m)
            raise ApiError(404, f"Method not found: {req.method} {req.path}")
        except ApiError as exc:
            return Reply(exc.code, exc.body(), headers=exc.headers)
        except Exception as exc:  # an emulator bug still answers like a server, never like a "drop" fault
            return Reply(500, ApiError(500, f"emulator error: {exc.__class__.__name__}: {exc}").body())

    def _model(self, m: re.Match[str], method: str = "generateContent") -> ModelProfile:
        profile = get_model(m["model"])
        if profile is None:
            raise ApiError(
                404,
                f"models/{m['model']} is not found for API version {m['ver']}, or is not "
                f"supported for {method}. Call ListModels to see the list of available models "
                "and their supported methods.",
            )
        return profile

    def _attempt(self, key: str) -> int:
        with self._lock:
            n = self._seen.get(key, 0)
            if len(self._seen) > 200_000:
                self._seen.clear()
            self._seen[key] = n + 1
            return n

    def _record_signatures(self, gen: GenerateRequest) -> None:
        with self._lock:
            for sig in gen.signatures:
                digest = sha256(sig).hexdigest()
                if digest not in self.signatures:
                    if len(self._sig_order) == self._sig_order.maxlen:
                        self.signatures.discard(self._sig_order[0])
                    self._sig_order.append(digest)
                    self.signatures.add(digest)

    def _answer(self, req: Request, m: re.Match[str]) -> tuple[dict, Reply]:
        return self.answer(self._model(m), parse_json(req.body), req.headers.get("x-harness-fault"))

    def answer(
        self, profile: ModelProfile, data: dict, fault_header: str | None = None
    ) -> tuple[dict, Reply]:
        """One generateContent request's body and reply, sent alone or as one request of a batch job."""
        gen = parse_generate(profile.name, data)
        self._record_signatures(gen)
        attempt = self._attempt(gen.key)
        prompt_words = set(words(" ".join([gen.system, gen.current.text])))
        try:
            decision = decide(
                self.plan,
                key=gen.key,
                occurrence=attempt,
                model=profile.name,
                prompt_words=prompt_words,
                header=fault_header,
            )
        except FaultSpecError as exc:
            raise ApiError(400, f"x-harness-fault header: {exc}") from exc
        reply = Reply(delay=decision.delay + profile.latency_s * self.latency_scale)
        rule = decision.rule
        if rule is not None and rule.code is not None:
            err = _error(rule, profile)
            reply.status, reply.body, reply.headers = err.code, err.body(), err.headers
            return {}, reply
        if rule is not None and rule.action in ("block_prompt", "block_output", "no_image"):
            return blocked(gen, profile, rule, response_id(gen, attempt)), reply
        if rule is not None:
            reply.delivery = rule.action
        return generate(gen, profile, attempt), reply

    def generate(self, req: Request, m: re.Match[str]) -> Reply:
        body, reply = self._answer(req, m)
        if reply.status == 200:
            reply.body = body
        return reply

    def stream(self, req: Request, m: re.Match[str]) -> Reply:
        body, reply = self._answer(req, m)
        if reply.status == 200:
            reply.events = stream_events(body)
        return reply

    def count_tokens(self, req: Request, m: re.Match[str]) -> Reply:
        profile = self._model(m, "countTokens")
        data = parse_json(req.body)
        gen = parse_generate(profile.name, data.get("generateContentRequest") or data)
        total, details = prompt_usage(gen, profile)
        return Reply(body={"totalTokens": total, "promptTokensDetails": details})

    def list_models(self, req: Request, m: re.Match[str]) -> Reply:
        return Reply(body={"models": [model_resource(p) for p in MODELS.values()]})

    def get_model(self, req: Request, m: re.Match[str]) -> Reply:
        return Reply(body=model_resource(self._model(m, "get")))


def _check_key(req: Request) -> None:
    """Any non-empty key passes; a missing or blank one fails the way the real API does (never echoed)."""
    key = req.headers.get("x-goog-api-key", req.query.get("key"))
    if key is None:
        raise ApiError(
            403,
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        )
    if not key.strip():
        raise ApiError(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access "
            "token, login cookie or other valid authentication credential.",
        )


_MESSAGES = {
    500: "An internal error has occurred. Please retry or report in "
    "https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "The request timed out. Please try again.",
}


def _error(rule: Rule, profile: ModelProfile) -> ApiError:
    """The error a status fault answers with; `retry_after`/`retry_info` hints go on any status (a 429
    carries a 1s RetryInfo unless told otherwise, as the real quota error does)."""
    code = rule.code or 500
    message, details = (
        _quota_error(profile) if code == 429 else (_MESSAGES.get(code, f"Emulated fault {code}."), [])
    )
    retry_info = seconds(rule.opts.get("retry_info", "1s" if code == 429 else "0"))
    if retry_info > 0:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_info:g}s"}
        )
        message += f" Please retry in {retry_info:g}s."
    headers = {"Retry-After": f"{seconds(rule.opts['retry_after']):g}"} if "retry_after" in rule.opts else {}
    return ApiError(code, message, details, headers)


def _quota_error(profile: ModelProfile) -> tuple[str, list[dict]]:
    """The real API's 429 message and details (QuotaFailure, Help)."""
    details: list[dict] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_requests",
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                    "quotaDimensions": {"location": "global", "model": profile.name},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    message = (
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
    )
    return message, details
