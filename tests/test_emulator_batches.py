"""The emulator's Batch API and Files API, driven by the real SDK; shapes follow shared/data/real-wire/
(a create answered BATCH_STATE_PENDING, polls answered RUNNING then SUCCEEDED, an upload start answered
200 with an empty body and an x-goog-upload-url)."""

from __future__ import annotations

import functools
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from google import genai
from google.genai import errors, types

from harness.emulator import Emulator

MODEL = "gemini-2.5-flash-image"


def client(emu: Emulator) -> genai.Client:
    return genai.Client(api_key="k", http_options=types.HttpOptions(base_url=emu.url, api_version="v1beta"))


def request(text: str, key: str) -> types.InlinedRequest:
    return types.InlinedRequest(
        contents=[types.Content(role="user", parts=[types.Part(text=text)])],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        metadata={"key": key},
    )


def state(job: types.BatchJob) -> str:
    return str(job.state.value if job.state else None)


def test_a_job_goes_pending_running_succeeded_and_answers_each_request_as_alone():
    with Emulator(faults="word:BOOM=503,batch_polls=2") as emu:
        c = client(emu)
        job = c.batches.create(
            model=MODEL,
            src=[request("a red apple", "a"), request("a BOOM tree", "b"), request("an nsfw poster", "c")],
        )
        assert state(job) == "JOB_STATE_PENDING" and job.name.startswith("batches/")
        seen = [state(c.batches.get(name=job.name)) for _ in range(4)]
        assert seen == [
            "JOB_STATE_RUNNING",
            "JOB_STATE_RUNNING",
            "JOB_STATE_SUCCEEDED",
            "JOB_STATE_SUCCEEDED",
        ]
        answers = {r.metadata["key"]: r for r in c.batches.get(name=job.name).dest.inlined_responses}
        assert answers["a"].response.candidates[0].content.parts[-1].inline_data.data[:4] == b"\x89PNG"
        assert (answers["b"].error.code, answers["b"].response) == (503, None)
        assert answers["c"].response.prompt_feedback.block_reason.value == "PROHIBITED_CONTENT"
        assert emu.batch_creates == 1
    with Emulator() as fresh:  # the same request sent alone (first attempt) draws the same image
        other = client(fresh)
        alone = other.models.generate_content(
            model=MODEL, contents="a red apple", config=request("", "").config
        )
    image = answers["a"].response.candidates[0].content.parts[-1].inline_data.data
    assert alone.candidates[0].content.parts[-1].inline_data.data == image


def test_the_operation_body_has_the_real_shape():
    with Emulator(faults="batch_polls=0") as emu:
        c = client(emu)
        name = c.batches.create(model=MODEL, src=[request("a cup", "k1")], config={"display_name": "dn"}).name
        c.batches.get(name=name)
        raw = httpx2.get(f"{emu.url}/v1beta/{name}", headers={"x-goog-api-key": "k"}).json()
    meta = raw["metadata"]
    assert raw["done"] is True and raw["name"] == meta["name"] == name
    assert meta["@type"].endswith("GenerateContentBatch") and meta["model"] == f"models/{MODEL}"
    assert meta["state"] == "BATCH_STATE_SUCCEEDED" and meta["displayName"] == "dn"
    assert meta["batchStats"] == {"requestCount": "1", "successfulRequestCount": "1"}
    assert raw["response"]["inlinedResponses"] == meta["output"]["inlinedResponses"]
    assert {"createTime", "endTime", "updateTime"} <= set(meta)


def test_duration_keeps_a_job_running():
    with Emulator(faults="batch_polls=0", batch_duration_s=0.4) as emu:
        c = client(emu)
        name = c.batches.create(model=MODEL, src=[request("a cup", "k")]).name
        assert state(c.batches.get(name=name)) == "JOB_STATE_RUNNING"
        time.sleep(0.5)
        assert state(c.batches.get(name=name)) == "JOB_STATE_SUCCEEDED"


@pytest.mark.parametrize("fault,expected", [("failed", "JOB_STATE_FAILED"), ("expired", "JOB_STATE_EXPIRED")])
def test_job_level_faults(fault, expected):
    with Emulator(faults=f"batch={fault},batch_polls=0") as emu:
        c = client(emu)
        job = c.batches.get(name=c.batches.create(model=MODEL, src=[request("a cup", "k")]).name)
        assert state(job) == expected and job.dest is None and job.done


def test_cancel_delete_and_list():
    with Emulator(faults="batch_polls=5") as emu:
        c = client(emu)
        names = [c.batches.create(model=MODEL, src=[request(f"cup {n}", "k")]).name for n in range(3)]
        assert [j.name for j in c.batches.list(config={"page_size": 2})] == names[::-1]  # paged, newest first
        c.batches.cancel(name=names[0])
        assert state(c.batches.get(name=names[0])) == "JOB_STATE_CANCELLED"
        with pytest.raises(errors.ClientError) as ended:
            c.batches.cancel(name=names[0])
        assert ended.value.code == 400
        c.batches.delete(name=names[1])
        with pytest.raises(errors.ClientError) as gone:
            c.batches.get(name=names[1])
        assert gone.value.code == 404
        assert emu.batch_creates == 3


def test_resumable_upload_start_is_an_empty_200_then_a_jsonl_job_writes_an_output_file():
    with Emulator(faults="batch_polls=0") as emu:
        start = httpx2.post(
            f"{emu.url}/upload/v1beta/files",
            headers={
                "x-goog-api-key": "k",
                "x-goog-upload-protocol": "resumable",
                "x-goog-upload-command": "start",
                "x-goog-upload-header-content-type": "application/jsonl",
            },
            json={"file": {"display_name": "probe"}},
        )
        assert (start.status_code, start.content) == (200, b"")
        assert start.headers["x-goog-upload-url"].startswith(emu.url + "/upload/v1beta/files?upload_id=")
        assert start.headers["x-goog-upload-status"] == "active"
        c = client(emu)
        line = {"key": "k1", "request": {"contents": [{"role": "user", "parts": [{"text": "a red apple"}]}]}}
        uploaded = c.files.upload(
            file=io.BytesIO((json.dumps(line) + "\n").encode()), config={"mime_type": "application/jsonl"}
        )
        assert uploaded.state.value == "ACTIVE" and c.files.get(name=uploaded.name).size_bytes > 0
        job = c.batches.create(model=MODEL, src=uploaded.name)
        done = c.batches.get(name=job.name)
        assert done.dest.file_name.startswith("files/batch-")
        out = [json.loads(x) for x in c.files.download(file=done.dest.file_name).decode().splitlines()]
        assert [o["key"] for o in out] == ["k1"] and "candidates" in out[0]["response"]
        assert {f.name for f in c.files.list()} == {uploaded.name, done.dest.file_name}
        c.files.delete(name=uploaded.name)
        with pytest.raises(errors.ClientError):
            c.files.get(name=uploaded.name)


def test_an_upload_chunk_needs_no_key_but_a_known_upload_id():
    with Emulator() as emu:
        reply = httpx2.post(
            f"{emu.url}/upload/v1beta/files?upload_id=nope&upload_protocol=resumable",
            headers={"x-goog-upload-command": "upload, finalize"},
            content=b"x",
        )
        assert reply.status_code == 404
        unauthenticated = httpx2.post(
            f"{emu.url}/upload/v1beta/files", headers={"x-goog-upload-command": "start"}
        )
        assert unauthenticated.status_code == 403


REAL = Path(__file__).resolve().parent / "data" / "real-wire-batch"  # see SOURCES.md there


def shape(value: Any) -> Any:
    """The keys of a JSON tree (lists by their first item), values dropped: what must agree."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items() if k not in ("candidates", "usageMetadata")}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_create_poll_and_finished_bodies_have_the_real_recordings_shape():
    with Emulator(faults="batch_polls=1") as emu:
        c = client(emu)
        job = c.batches.create(
            model="gemini-2.5-flash", src=[{"contents": "What is 2 + 2?", "metadata": {"custom_id": "0"}}],
            config={"display_name": "probe"},
        )  # fmt: skip
        get = functools.partial(httpx2.get, f"{emu.url}/v1beta/{job.name}", headers={"x-goog-api-key": "k"})
        running, succeeded = get().json(), get().json()
        listed = httpx2.get(f"{emu.url}/v1beta/batches", headers={"x-goog-api-key": "k"}).json()
    real = {
        name: json.loads((REAL / f"{name}.json").read_text())
        for name in ("create-pending", "get-running", "get-succeeded")
    }
    assert shape(running) == shape(real["get-running"])
    assert running["metadata"]["state"] == "BATCH_STATE_RUNNING"
    assert shape(succeeded) == shape(real["get-succeeded"])
    assert shape(listed["operations"][0]) == shape(real["get-succeeded"])
    first = succeeded["metadata"]["output"]["inlinedResponses"]["inlinedResponses"][0]
    assert first["metadata"] == {"custom_id": "0"} and first["response"]["candidates"][0]["content"]["parts"]


def test_the_harness_reads_the_real_finished_body():
    """The SDK parses the recorded SUCCEEDED body; read_results maps its answers by metadata key."""
    from harness.runner.batch import read_results

    body = json.loads((REAL / "get-succeeded.json").read_text())
    for item in body["metadata"]["output"]["inlinedResponses"]["inlinedResponses"]:
        item["metadata"] = {"key": item["metadata"]["custom_id"]}
    mock = httpx2.MockTransport(lambda request: httpx2.Response(200, json=body))
    c = genai.Client(
        api_key="k", http_options=types.HttpOptions(api_version="v1beta", client_args={"transport": mock})
    )
    job = c.batches.get(name=body["name"])
    outcome = read_results(c, job)
    assert outcome.state == "JOB_STATE_SUCCEEDED" and outcome.error is None
    texts = {k: r.response.candidates[0].content.parts[0].text for k, r in outcome.results.items()}
    assert texts == {"0": "4", "1": "Jupiter"}
