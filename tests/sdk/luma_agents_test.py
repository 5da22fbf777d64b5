"""Luma's official `luma-agents` Python SDK, exactly as PyPI ships it, against the emulator.

Only the client's own options are set: auth_token, base_url, max_retries, and the SDK's
`_strict_response_validation`, so that every Generation the emulator answers is validated against
the SDK's pydantic models (their Literals included) instead of being taken as it comes.
"""

import hashlib
import base64
import importlib.metadata
import json
import os
import struct
import threading
import time
import unittest
import urllib.request

import luma_agents
from luma_agents import Luma

EMULATOR = os.environ["LUMA_EMULATOR_URL"]
KEY = "test-key"


def admin(path, body=None):
    req = urllib.request.Request(
        f"{EMULATOR}/__emulator/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def video_seconds(url):
    """The duration in the MP4's `mvhd` box (version 0: timescale and duration follow flags)."""
    with urllib.request.urlopen(url) as r:
        data = r.read()
    at = data.index(b"mvhd")
    timescale, duration = struct.unpack(">II", data[at + 16 : at + 24])
    return duration / timescale


def client(**options):
    return Luma(auth_token=KEY, base_url=f"{EMULATOR}/v1", _strict_response_validation=True, **options)


def until_done(c, generation_id):
    for _ in range(400):
        g = c.generations.get(generation_id)
        if g.state in ("completed", "failed"):
            return g
        time.sleep(0.05)
    raise AssertionError(f"{generation_id} never finished")


def video(c, prompt, **frames):
    return c.generations.create(
        type="video",
        model="ray-3.2",
        prompt=prompt,
        aspect_ratio="16:9",
        video={"resolution": "720p", "duration": "5s", **frames},
    )


class TheSdkIsUnmodified(unittest.TestCase):
    def test_installed_files_match_the_wheel_record(self):
        dist = importlib.metadata.distribution("luma-agents")
        self.assertEqual(dist.version, os.environ.get("SDK_VERSION", dist.version))
        checked = 0
        for f in dist.files:
            if f.hash is None or not str(f).startswith("luma_agents/"):
                continue
            digest = hashlib.new(f.hash.mode, f.locate().read_bytes()).digest()
            want = base64.urlsafe_b64decode(f.hash.value + "==")
            self.assertEqual(digest, want, f"{f} differs from the published wheel")
            checked += 1
        self.assertGreater(checked, 50)


class CreateGetExtend(unittest.TestCase):
    def setUp(self):
        admin("reset", {})
        admin("config", {"job_ms": 300})

    def test_create_then_extend_forward_and_backward(self):
        c = client()
        created = video(c, "A slow dolly shot through a misty greenhouse at sunrise")
        self.assertIsInstance(created, luma_agents.types.Generation)
        self.assertEqual((created.state, created.type, created.model), ("queued", "video", "ray-3.2"))
        parent = until_done(c, created.id)
        self.assertEqual(parent.state, "completed")
        self.assertEqual(parent.output[0].type, "video")
        one = video_seconds(parent.output[0].url)

        forward = video(c, "The camera keeps drifting", start_frame={"generation_id": parent.id})
        forward = until_done(c, forward.id)
        self.assertEqual(forward.state, "completed")
        self.assertAlmostEqual(video_seconds(forward.output[0].url), 2 * one, places=2)

        backward = video(c, "Mist rolls in first", end_frame={"generation_id": forward.id})
        backward = until_done(c, backward.id)
        self.assertEqual(backward.state, "completed")
        self.assertAlmostEqual(video_seconds(backward.output[0].url), 3 * one, places=2)

        to_image = video(
            c,
            "It lands on the roof",
            start_frame={"generation_id": parent.id},
            end_frame={"url": "https://example.com/roof.jpg"},
        )
        self.assertEqual(until_done(c, to_image.id).state, "completed")

    def test_a_failure_code_reaches_the_sdk_model(self):
        c = client()
        g = until_done(c, video(c, "Render until budget_exhausted").id)
        self.assertEqual((g.state, g.failure_code), ("failed", "budget_exhausted"))
        self.assertTrue(g.failure_reason)
        self.assertIsNone(g.output)


class ErrorsAreTheSdksOwn(unittest.TestCase):
    def setUp(self):
        admin("reset", {})

    def test_a_wrong_key_is_an_authentication_error(self):
        c = Luma(auth_token="luma-api-wrong", base_url=f"{EMULATOR}/v1")
        with self.assertRaises(luma_agents.AuthenticationError) as e:
            video(c, "A cat")
        self.assertEqual(e.exception.status_code, 401)
        self.assertEqual(e.exception.body, {"detail": "Invalid API key"})

    def test_bad_requests_are_bad_request_errors(self):
        c = client()
        bad = [
            dict(prompt="", type="video", model="ray-3.2"),
            dict(prompt=None, type="video", model="ray-3.2"),
            dict(prompt="A cat", type="video", model="ray-3.2", aspect_ratio="9:21"),
            dict(prompt="A cat", type="video", model="ray-3.2", video={"duration": "7s"}),
            dict(prompt="A cat", type="video", model="ray-3.2", extra_body={"callback_url": "https://x.test"}),
        ]
        for kwargs in bad:
            with self.subTest(kwargs=kwargs), self.assertRaises(luma_agents.BadRequestError) as e:
                c.generations.create(**kwargs)
            self.assertEqual(e.exception.status_code, 400)
            self.assertIsInstance(e.exception.body["detail"], str)
        with self.assertRaises(luma_agents.NotFoundError):
            c.generations.get("7c6a9e55-3b0f-4e7e-9d41-2f1c8a0b5d10")

    def test_429_retries_wait_for_retry_after(self):
        admin("faults", {"rate_429": 1.0, "retry_after_s": 2})
        c = client(max_retries=2)
        start = time.monotonic()
        with self.assertRaises(luma_agents.RateLimitError) as e:
            video(c, "A cat")
        elapsed = time.monotonic() - start
        self.assertEqual(e.exception.response.headers["retry-after"], "2")
        # Two waits of Retry-After; the SDK's own backoff alone would take under 1.5 s.
        self.assertGreaterEqual(elapsed, 4.0)
        self.assertLess(elapsed, 8.0)
        self.assertEqual(admin("counters")["requests"]["POST /v1/generations"], 3)

    def test_a_429_then_success_once_retry_after_has_passed(self):
        admin("faults", {"rate_429": 1.0, "retry_after_s": 2})
        # The limit lifts a second in; the SDK's retry, 2 s after the 429, then succeeds.
        lift = threading.Timer(1.0, lambda: admin("faults", {}))
        lift.start()
        start = time.monotonic()
        g = video(client(max_retries=2), "A cat")
        elapsed = time.monotonic() - start
        lift.join()
        self.assertEqual(g.state, "queued")
        self.assertGreaterEqual(elapsed, 2.0)
        self.assertEqual(admin("counters")["requests"]["POST /v1/generations"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
