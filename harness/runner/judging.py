"""The client judge and analysis scorers call (`env.client.models.generate_content`), metered per trial.

Scorers see one interface whatever carries their requests:
- `JudgeClient` sends each request at once (the interactive path) and prices it at the standard tier.
- `BatchJudgeClient` (`--batch-judge`) answers from Batch API jobs: a request it has no answer for yet
  is noted and raises `JudgePending`, the api layer sends every noted request as one job per judge
  model, and the trial is scored again with the answers (a judge whose second request depends on the
  first, as alignment's questions then answers, takes one round per dependency). A request is keyed by
  the hash of its model and wire form, so one request asked by several trials is sent once, and a
  resumed run finds it in the job an earlier attempt created. Its cost, at the batch tier, goes to the
  trial that first asked for it.

`take(record)` gives the judge cost a record's scoring spent, so a trial's judge cost sits beside its
generation cost.
"""

from __future__ import annotations

import abc
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from harness.context import current_request
from harness.prices import Tier, cost_usd
from harness.record import TrialError, TrialRecord
from harness.runner.batch import wire_request
from harness.runner.outcome import usage_of

TrialKey = tuple[str, str, str, int]  # suite, case, variant, repeat


class JudgePending(Exception):
    """The request waits for its Batch API job; the scorer reports it and the trial is scored again."""

    def __init__(self, model: str) -> None:
        super().__init__(f"the request to {model} waits for its judge batch job (--batch-judge)")


def _trial_key(record: TrialRecord) -> TrialKey:
    return (record.suite, record.case, record.variant, record.repeat)


def _asking() -> TrialKey | None:
    ctx = current_request.get()
    return (ctx.suite, ctx.case, ctx.variant, ctx.repeat) if ctx is not None else None


class _AsksThroughModels(abc.ABC):
    """`client.models.generate_content(...)`, as scorers call a genai client."""

    @property
    def models(self) -> _Models:
        """Made on each use, never kept: a kept one would make a reference cycle that holds the run's
        client, transport session and cassette alive until a full garbage collection."""
        return _Models(self)

    @abc.abstractmethod
    def generate_content(
        self, model: str, contents: Any, config: types.GenerateContentConfig | None
    ) -> types.GenerateContentResponse: ...


class _Models:
    def __init__(self, owner: _AsksThroughModels) -> None:
        self._owner = owner

    def generate_content(
        self, *, model: str, contents: Any, config: types.GenerateContentConfig | None = None
    ) -> types.GenerateContentResponse:
        return self._owner.generate_content(model, contents, config)


class JudgeClient(_AsksThroughModels):
    """Interactive judge calls through the real client, their cost kept per asking trial."""

    tier: Tier = "standard"

    def __init__(self, client: genai.Client) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._spent: dict[TrialKey, float] = {}

    def generate_content(
        self, model: str, contents: Any, config: types.GenerateContentConfig | None
    ) -> types.GenerateContentResponse:
        response = self.client.models.generate_content(model=model, contents=contents, config=config)
        trial = _asking()
        if trial is not None:
            cost = cost_usd(model, usage_of(response), self.tier)
            with self._lock:
                self._spent[trial] = self._spent.get(trial, 0.0) + cost
        return response

    def take(self, record: TrialRecord) -> float:
        """What the judge calls of the record's last scoring cost (and forget it)."""
        with self._lock:
            return round(self._spent.pop(_trial_key(record), 0.0), 6)


@dataclass
class JudgeAnswer:
    """A batch job's answer to one judge request: a response, or the error the job gave it."""

    response: types.GenerateContentResponse | None = None
    error: TrialError | None = None
    exception: Exception | None = None  # the job could not be created: what creating it raised

    def deliver(self) -> types.GenerateContentResponse:
        """The response, or the failure raised as the interactive call would have raised it."""
        if self.exception is not None:
            raise self.exception
        if self.error is not None:
            error = self.error
            body = {"error": {"code": error.code, "message": error.message, "status": error.status}}
            code = error.code or 500
            raise (genai_errors.ClientError if code < 500 else genai_errors.ServerError)(code, body)
        assert self.response is not None
        return self.response


class BatchJudgeClient(_AsksThroughModels):
    """Judge calls answered from Batch API jobs; unanswered requests are collected for the next job."""

    tier: Tier = "batch"

    def __init__(self, client: genai.Client) -> None:
        self.client = client
        self._lock = threading.Lock()
        self.answers: dict[str, JudgeAnswer] = {}
        self.pending: dict[str, tuple[str, types.InlinedRequest]] = {}  # key -> (model, request)
        self._claimed: set[str] = set()  # keys some trial asked first (that trial pays for it)
        self._first_asked: dict[TrialKey, list[str]] = {}  # trial -> the keys it asked first
        self._model_of: dict[str, str] = {}
        self._waiting: set[TrialKey] = set()  # trials that met a request without an answer

    def request_key(self, model: str, request: types.InlinedRequest) -> str:
        """The same request (model and wire form) always gets the same key, in any run."""
        wire = json.dumps([model, wire_request(self.client, request)], sort_keys=True, separators=(",", ":"))
        return "judge-" + hashlib.sha256(wire.encode()).hexdigest()[:32]

    def generate_content(
        self, model: str, contents: Any, config: types.GenerateContentConfig | None
    ) -> types.GenerateContentResponse:
        config = (config or types.GenerateContentConfig()).model_copy(
            update={"http_options": None, "automatic_function_calling": None}
        )
        request = types.InlinedRequest(contents=contents, config=config)
        key = self.request_key(model, request)
        request.metadata = {"key": key}
        trial = _asking()
        with self._lock:
            if trial is not None and key not in self._claimed:
                self._claimed.add(key)
                self._first_asked.setdefault(trial, []).append(key)
            self._model_of.setdefault(key, model)
            answer = self.answers.get(key)
            if answer is None:
                self.pending.setdefault(key, (model, request))
                if trial is not None:
                    self._waiting.add(trial)
        if answer is None:
            raise JudgePending(model)
        return answer.deliver()

    def take_pending(self) -> tuple[dict[str, list[tuple[str, types.InlinedRequest]]], set[TrialKey]]:
        """The requests collected since the last call, by judge model, in key order (a job's body is then
        the same in every run, so a recorded create replays), and the trials that waited for them."""
        with self._lock:
            found, self.pending = self.pending, {}
            waiting, self._waiting = self._waiting, set()
        by_model: dict[str, list[tuple[str, types.InlinedRequest]]] = {}
        for key in sorted(found):
            model, request = found[key]
            by_model.setdefault(model, []).append((key, request))
        return by_model, waiting

    def answer(self, key: str, answer: JudgeAnswer) -> None:
        with self._lock:
            self.answers[key] = answer

    def take(self, record: TrialRecord) -> float:
        """The batch-tier cost of every answered request this record's trial asked for first."""
        trial = _trial_key(record)
        with self._lock:
            mine = [k for k in self._first_asked.get(trial, ()) if k in self.answers]
            total = 0.0
            for key in mine:
                response = self.answers[key].response
                if response is not None:
                    total += cost_usd(self._model_of[key], usage_of(response), self.tier)
        return round(total, 6)


def judge_cost(client: Any, record: TrialRecord) -> float:
    """The judge cost of a record's last scoring (0.0 with no metering client: no judge was asked)."""
    return client.take(record) if isinstance(client, JudgeClient | BatchJudgeClient) else 0.0
